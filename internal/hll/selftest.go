package hll

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// SelfTest is PFSELFTEST: it checks register access against a byte array,
// then adds 10 million distinct elements to a dense and a sparse HLL side
// by side, checking at every power of ten that the two agree, that the
// sparse one stays sparse while small, and that the error stays within six
// standard errors. The error text is Redis's.
func SelfTest(maxSparse int) error { return selfTest(maxSparse, 1000, 10000000) }

func selfTest(maxSparse, cycles int, elements int64) error {
	regs := make([]byte, DenseSize-HdrSize)
	var want [Registers]uint8
	for range cycles {
		for i := range Registers {
			v := uint8(rand.IntN(regMax + 1))
			want[i] = v
			setReg(regs, i, v)
		}
		for i := range Registers {
			if v := getReg(regs, i); v != want[i] {
				return fmt.Errorf("TESTFAILED Register %d should be %d but is %d", i, want[i], v)
			}
		}
	}

	dense := make([]byte, DenseSize)
	copy(dense, "HYLL")
	sparse := New()
	relerr := 1.04 / math.Sqrt(Registers)
	checkpoint := int64(1)
	seed := rand.Uint64()
	var ele [8]byte
	for j := int64(1); j <= elements; j++ {
		binary.LittleEndian.PutUint64(ele[:], uint64(j)^seed)
		dense, _, _ = Add(dense, ele[:], maxSparse)
		sparse, _, _ = Add(sparse, ele[:], maxSparse)
		if j != checkpoint {
			continue
		}
		if j < int64(maxSparse/2) && IsDense(sparse) {
			return errors.New("TESTFAILED sparse encoding not used")
		}
		dc, _ := Count(dense)
		sc, _ := Count(sparse)
		if dc != sc {
			return errors.New("TESTFAILED dense/sparse disagree")
		}
		abserr := checkpoint - int64(dc)
		maxerr := int64(math.Ceil(relerr * 6 * float64(checkpoint)))
		if j == 10 {
			maxerr = 1
		}
		if abserr < 0 {
			abserr = -abserr
		}
		if abserr > maxerr {
			return fmt.Errorf("TESTFAILED Too big error. card:%d abserr:%d", checkpoint, abserr)
		}
		checkpoint *= 10
	}
	return nil
}
