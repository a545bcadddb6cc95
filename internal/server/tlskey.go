package server

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"hash"
)

// decryptKey returns keyPEM with its private key decrypted by pass
// (tls-key-file-pass): OpenSSL's two formats, PKCS#8 "ENCRYPTED PRIVATE
// KEY" with PBES2 (PBKDF2 and AES-CBC, what `openssl pkcs8 -topk8` and
// OpenSSL 3's genrsa write) and the legacy "Proc-Type: 4,ENCRYPTED"
// headers. Unencrypted keys pass through.
func decryptKey(keyPEM []byte, pass string) ([]byte, error) {
	var out []byte
	rest := keyPEM
	found := false
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		switch {
		case blk.Type == "ENCRYPTED PRIVATE KEY":
			if pass == "" {
				return nil, errors.New("the key is encrypted and tls-key-file-pass is not set")
			}
			der, err := decryptPKCS8(blk.Bytes, []byte(pass))
			if err != nil {
				return nil, err
			}
			blk = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
			found = true
		// Deprecated in Go for its weak key derivation, but it is what
		// `openssl genrsa -aes256` wrote before OpenSSL 3.
		case x509.IsEncryptedPEMBlock(blk):
			if pass == "" {
				return nil, errors.New("the key is encrypted and tls-key-file-pass is not set")
			}
			der, err := x509.DecryptPEMBlock(blk, []byte(pass))
			if err != nil {
				return nil, errors.New("bad tls-key-file-pass or corrupt key")
			}
			blk = &pem.Block{Type: blk.Type, Bytes: der}
			found = true
		}
		out = append(out, pem.EncodeToMemory(blk)...)
	}
	if !found {
		return keyPEM, nil
	}
	return out, nil
}

var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
)

type algorithm struct {
	OID    asn1.ObjectIdentifier
	Params asn1.RawValue `asn1:"optional"`
}

type encryptedPrivateKeyInfo struct {
	Algo algorithm
	Data []byte
}

type pbes2Params struct {
	KDF, Cipher algorithm
}

type pbkdf2Params struct {
	Salt      []byte
	Iter      int
	KeyLength int       `asn1:"optional"`
	PRF       algorithm `asn1:"optional"`
}

// decryptPKCS8 decrypts an EncryptedPrivateKeyInfo (RFC 5958) protected by
// PBES2 (RFC 8018) into PKCS#8 DER.
func decryptPKCS8(der, pass []byte) ([]byte, error) {
	unsupported := errors.New("unsupported key encryption (PBES2 with PBKDF2 and AES-CBC is supported)")
	var info encryptedPrivateKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil || !info.Algo.OID.Equal(oidPBES2) {
		return nil, unsupported
	}
	var p pbes2Params
	if _, err := asn1.Unmarshal(info.Algo.Params.FullBytes, &p); err != nil || !p.KDF.OID.Equal(oidPBKDF2) {
		return nil, unsupported
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(p.KDF.Params.FullBytes, &kdf); err != nil {
		return nil, unsupported
	}
	var h func() hash.Hash
	switch {
	case kdf.PRF.OID == nil || kdf.PRF.OID.Equal(oidHMACSHA1):
		h = sha1.New
	case kdf.PRF.OID.Equal(oidHMACSHA256):
		h = sha256.New
	case kdf.PRF.OID.Equal(oidHMACSHA512):
		h = sha512.New
	default:
		return nil, unsupported
	}
	var keyLen int
	switch {
	case p.Cipher.OID.Equal(oidAES128CBC):
		keyLen = 16
	case p.Cipher.OID.Equal(oidAES192CBC):
		keyLen = 24
	case p.Cipher.OID.Equal(oidAES256CBC):
		keyLen = 32
	default:
		return nil, unsupported
	}
	var iv []byte
	if _, err := asn1.Unmarshal(p.Cipher.Params.FullBytes, &iv); err != nil || len(iv) != aes.BlockSize {
		return nil, unsupported
	}
	key, err := pbkdf2.Key(h, string(pass), kdf.Salt, kdf.Iter, keyLen)
	if err != nil {
		return nil, err
	}
	block, _ := aes.NewCipher(key)
	data := info.Data
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, errors.New("corrupt encrypted key")
	}
	plain := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, data)
	// PKCS#7 padding; a wrong password almost always breaks it.
	n := int(plain[len(plain)-1])
	if n == 0 || n > aes.BlockSize {
		return nil, errors.New("bad tls-key-file-pass or corrupt key")
	}
	for _, b := range plain[len(plain)-n:] {
		if int(b) != n {
			return nil, errors.New("bad tls-key-file-pass or corrupt key")
		}
	}
	plain = plain[:len(plain)-n]
	if _, err := x509.ParsePKCS8PrivateKey(plain); err != nil {
		return nil, errors.New("bad tls-key-file-pass or corrupt key")
	}
	return plain, nil
}
