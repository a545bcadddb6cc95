package config

import (
	"testing"
	"time"
)

func TestOutputBufferLimit(t *testing.T) {
	tests := []struct {
		args  []string // command line
		set   string   // then CONFIG SET client-output-buffer-limit, if not ""
		class OutputClass
		want  OutputLimit
	}{
		{nil, "", OutputNormal, OutputLimit{}},
		{nil, "", OutputReplica, OutputLimit{256 << 20, 64 << 20, 60 * time.Second}},
		{nil, "", OutputPubSub, OutputLimit{32 << 20, 8 << 20, 60 * time.Second}},
		{[]string{"--client-output-buffer-limit", "normal", "1mb", "512kb", "10"}, "", OutputNormal,
			OutputLimit{1 << 20, 512 << 10, 10 * time.Second}},
		{nil, "normal 100000 0 0 pubsub 1gb 1mb 0", OutputNormal, OutputLimit{Hard: 100000}},
		{nil, "normal 100000 0 0 pubsub 1gb 1mb 0", OutputPubSub, OutputLimit{Hard: 1 << 30, Soft: 1 << 20}},
		{nil, "replica 1k 2k 3", OutputReplica, OutputLimit{1000, 2000, 3 * time.Second}},
	}
	for _, tt := range tests {
		c, err := Parse(tt.args)
		if err != nil {
			t.Fatal(err)
		}
		if tt.set != "" {
			if err := c.Set([][2]string{{"client-output-buffer-limit", tt.set}}); err != nil {
				t.Fatal(err)
			}
		}
		if got := c.OutputBufferLimit(tt.class); got != tt.want {
			t.Errorf("%v / SET %q: class %d = %+v, want %+v", tt.args, tt.set, tt.class, got, tt.want)
		}
	}
}
