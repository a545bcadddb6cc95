package config

import "testing"

func TestParseMemory(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{in: "0", want: 0},
		{in: "", want: 0},
		{in: "b", want: 0},
		{in: "mb", want: 0},
		{in: "1", want: 1},
		{in: "1b", want: 1},
		{in: "1B", want: 1},
		{in: "1k", want: 1000},
		{in: "1K", want: 1000},
		{in: "1kb", want: 1024},
		{in: "1KB", want: 1024},
		{in: "1kB", want: 1024},
		{in: "2m", want: 2000000},
		{in: "2mb", want: 2 << 20},
		{in: "2Mb", want: 2 << 20},
		{in: "3g", want: 3000000000},
		{in: "3gb", want: 3 << 30},
		{in: "3GB", want: 3 << 30},
		{in: "010", want: 10},
		{in: "9223372036854775807", want: 1<<63 - 1},
		{in: "8589934591gb", want: 8589934591 << 30},
		{in: "9223372036854775808", err: true},
		{in: "8589934592gb", err: true},
		{in: "-1", err: true},
		{in: "+1", err: true},
		{in: " 1", err: true},
		{in: "1 ", err: true},
		{in: "1 mb", err: true},
		{in: "1.5mb", err: true},
		{in: "0x10", err: true},
		{in: "1x", err: true},
		{in: "1kbb", err: true},
		{in: "1t", err: true},
	}
	for _, tt := range tests {
		got, err := ParseMemory(tt.in)
		if tt.err != (err != nil) || got != tt.want {
			t.Errorf("ParseMemory(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestFormatMemoryHuman(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0B"},
		{1023, "1023B"},
		{1024, "1.00K"},
		{512 << 10, "512.00K"},
		{1<<20 - 1, "1024.00K"},
		{1 << 20, "1.00M"},
		{1<<20 + 1<<19, "1.50M"},
		{3<<30 + 1<<29, "3.50G"},
		{1 << 40, "1.00T"},
		{5 << 50, "5.00P"},
		{1 << 60, "1152921504606846976B"},
	}
	for _, tt := range tests {
		if got := FormatMemoryHuman(tt.in); got != tt.want {
			t.Errorf("FormatMemoryHuman(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatMemoryConf(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0"}, {1000, "1000"}, {1024, "1kb"}, {1536, "1536"}, {3 << 10, "3kb"},
		{1 << 20, "1mb"}, {512 << 20, "512mb"}, {1 << 30, "1gb"}, {3 << 30, "3gb"},
	}
	for _, tt := range tests {
		if got := formatMemoryConf(tt.in); got != tt.want {
			t.Errorf("formatMemoryConf(%d) = %q, want %q", tt.in, got, tt.want)
		}
		if n, err := ParseMemory(formatMemoryConf(tt.in)); err != nil || n != tt.in {
			t.Errorf("ParseMemory(formatMemoryConf(%d)) = %d, %v", tt.in, n, err)
		}
	}
}
