package difftest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smallredis/smallredis/internal/resp"
	"github.com/smallredis/smallredis/internal/testserver"
)

// TestDifferential runs every script in testdata against redis-server and
// smallredis and fails on any differing reply.
func TestDifferential(t *testing.T) {
	redisAddr := testserver.StartRedis(t)
	// Redis's default policy, so OBJECT IDLETIME/FREQ and CONFIG GET
	// compare like for like (ours defaults to allkeys-lrfu).
	oursAddr, _ := testserver.Start(t, "--maxmemory-policy", "noeviction")
	files, err := Scripts("testdata")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	total := 0
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			steps, err := ParseScript(f)
			if err != nil {
				t.Fatal(err)
			}
			mm, err := Run(redisAddr, oursAddr, steps)
			for _, m := range mm {
				t.Errorf("%s", m)
			}
			if missing := (*MissingError)(nil); errors.As(err, &missing) {
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			total += len(steps)
		})
	}
	t.Logf("%d script lines compared", total)
}

// "@needs cmd" stops a script, with a *MissingError, exactly when
// smallredis lacks cmd.
func TestNeeds(t *testing.T) {
	redisAddr := testserver.StartRedis(t)
	oursAddr, _ := testserver.Start(t)
	dir := t.TempDir()
	for _, tt := range []struct {
		script  string
		missing bool
	}{
		{"@needs get\nset k v\n", false},
		{"@needs nosuchcommand\nset k v\n", true},
	} {
		mm, err := runScript(t, dir, tt.script, redisAddr, oursAddr)
		var missing *MissingError
		if errors.As(err, &missing) != tt.missing || len(mm) != 0 {
			t.Errorf("%q: mismatches %v, error %v", tt.script, mm, err)
		}
		if tt.missing && (err == nil || missing.Command != "nosuchcommand") {
			t.Errorf("%q: error %v", tt.script, err)
		}
	}
}

// The harness itself must notice differences, and only real ones.
func TestSame(t *testing.T) {
	ok := resp.Value{Type: '+', Str: "OK"}
	arr := func(xs ...string) resp.Value {
		v := resp.Value{Type: '*'}
		for _, x := range xs {
			v.Elems = append(v.Elems, resp.Value{Type: '$', Str: x})
		}
		return v
	}
	// An event name and its numbers, as LATENCY LATEST's rows.
	row := func(name string, ns ...int64) resp.Value {
		v := resp.Value{Type: '*', Elems: []resp.Value{{Type: '$', Str: name}}}
		for _, n := range ns {
			v.Elems = append(v.Elems, resp.Value{Type: ':', Int: n})
		}
		return v
	}
	tests := []struct {
		mode string
		a, b resp.Value
		want bool
	}{
		{"", ok, ok, true},
		{"", ok, resp.Value{Type: '+', Str: "KO"}, false},
		{"", resp.Value{Type: '$', Str: "1"}, resp.Value{Type: ':', Int: 1}, false},
		{"", arr("a", "b"), arr("b", "a"), false},
		{"sorted", arr("a", "b"), arr("b", "a"), true},
		{"sorted", arr("a", "b"), arr("b", "c"), false},
		{"type", resp.Value{Type: ':', Int: 5}, resp.Value{Type: ':', Int: 7}, true},
		{"type", resp.Value{Type: ':', Int: 5}, resp.Value{Type: '$', Str: "5"}, false},
		{"approx", resp.Value{Type: ':', Int: 5}, resp.Value{Type: ':', Int: 7}, false},
		{"approx", resp.Value{Type: ':', Int: 5}, resp.Value{Type: ':', Int: 6}, true},
		{"", resp.Value{Type: '$', Null: true}, resp.Value{Type: '_', Null: true}, false},
		{"shape", row("command", 1, 2), row("command", 3, 4), true},
		{"shape", row("command", 1, 2), row("fast-command", 1, 2), false},
		{"shape", row("command", 1, 2), row("command", 1), false},
		{"shape", row("command", 1), resp.Value{Type: '*', Elems: []resp.Value{{Type: '$', Str: "command"}, {Type: '$', Str: "1"}}}, false},
		{"fields", resp.Value{Type: '$', Str: "id=3 cmd=get qbuf=0\n"}, resp.Value{Type: '$', Str: "id=9 cmd=get qbuf=0\n"}, true},
		{"fields", resp.Value{Type: '$', Str: "id=3 cmd=get"}, resp.Value{Type: '$', Str: "id=3 cmd=set"}, false},
		{"fields", resp.Value{Type: '$', Str: "a=1 cmd=get\nb=2 cmd=set"}, resp.Value{Type: '$', Str: "cmd=get\ncmd=get"}, false},
	}
	for i, tt := range tests {
		st := Step{Mode: tt.mode, Param: 1, Fields: []string{"cmd", "qbuf"}}
		if got := Same(st, tt.a, tt.b); got != tt.want {
			t.Errorf("case %d: Same(%s, %s) = %v", i, tt.a, tt.b, got)
		}
	}
}

func TestParseScript(t *testing.T) {
	steps, err := ParseScript("testdata/connection.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) < 20 {
		t.Fatalf("only %d steps", len(steps))
	}
}

func TestParseConnections(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.txt")
	src := "get k\nB> @send set k v\nB> @blocked\nB> @recv 2000\nC_2> @sorted smembers s\n@info rdb_changes_since_last_save\nset a>b x\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	steps, err := ParseScript(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		conn, mode string
		param      int
		args       string
	}{
		{"A", "", 0, "get k"},
		{"B", "send", 0, "set k v"},
		{"B", "blocked", 100, ""},
		{"B", "recv", 2000, ""},
		{"C_2", "sorted", 0, "smembers s"},
		{"A", "info", 0, "rdb_changes_since_last_save"},
		{"A", "", 0, "set a>b x"},
	}
	if len(steps) != len(want) {
		t.Fatalf("%d steps", len(steps))
	}
	for i, w := range want {
		st := steps[i]
		if st.Conn != w.conn || st.Mode != w.mode || st.Param != w.param || strings.Join(st.Args, " ") != w.args {
			t.Errorf("step %d: %+v, want %+v", i, st, w)
		}
	}
	for _, bad := range []string{"@info\n", "@info a b\n", "B> @recv x\n", "B>\n", "@send\n"} {
		if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ParseScript(path); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// A script that leaves a message unread on a connection fails: each later
// line of that connection would compare an older message than its own.
func TestUnread(t *testing.T) {
	redisAddr := testserver.StartRedis(t)
	oursAddr, _ := testserver.Start(t)
	dir := t.TempDir()
	for _, tt := range []struct {
		script string
		fails  bool
	}{
		{"B> subscribe ch\npublish ch m\nB> @recv\n", false},
		{"B> subscribe ch\npublish ch m\n", true},
		{"B> @send debug sleep 0\n", true},
		{"B> @send debug sleep 0\nB> @recv\n", false},
		{"B> quit\nB> get k\n", false},
	} {
		mm, err := runScript(t, dir, tt.script, redisAddr, oursAddr)
		if len(mm) != 0 || (err != nil) != tt.fails {
			t.Errorf("%q: mismatches %v, error %v", tt.script, mm, err)
		}
	}
}

// runScript writes script to a file in dir, parses it and runs it against
// both servers.
func runScript(t *testing.T, dir, script, redisAddr, oursAddr string) ([]Mismatch, error) {
	t.Helper()
	path := filepath.Join(dir, "s.txt")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	steps, err := ParseScript(path)
	if err != nil {
		t.Fatal(err)
	}
	return Run(redisAddr, oursAddr, steps)
}
