package command

import (
	"strings"

	"github.com/smallredis/smallredis/internal/glob"
	"github.com/smallredis/smallredis/internal/resp"
)

var introspectionCommands = []*Spec{
	{Name: "command", Arity: -1, Flags: Loading | Stale, ACL: []string{"slow", "connection"}, Handler: commandAll, Subs: []*Spec{
		{Name: "count", Arity: 2, Flags: Loading | Stale, ACL: []string{"slow", "connection"}, Handler: commandCount},
		{Name: "info", Arity: -2, Flags: Loading | Stale, ACL: []string{"slow", "connection"}, Handler: commandInfo},
		{Name: "docs", Arity: -2, Flags: Loading | Stale, ACL: []string{"slow", "connection"}, Handler: commandDocs},
		{Name: "list", Arity: -2, Flags: Loading | Stale, ACL: []string{"slow", "connection"}, Handler: commandList},
		{Name: "getkeys", Arity: -4, Flags: Loading | Stale, ACL: []string{"slow", "connection"}, Handler: commandGetKeys},
		{Name: "getkeysandflags", Arity: -4, Flags: Loading | Stale, ACL: []string{"slow", "connection"}, Handler: commandGetKeysAndFlags},
		{Name: "help", Arity: 2, Flags: Loading | Stale, ACL: []string{"slow", "connection"}, Handler: commandHelp},
	}},
}

// commandAll: COMMAND — info for every command.
func commandAll(ctx *Ctx) {
	all := ctx.S.Table.All()
	ctx.W.Array(len(all))
	for _, s := range all {
		writeInfo(ctx.W, s)
	}
}

func commandCount(ctx *Ctx) { ctx.W.Int(int64(ctx.S.Table.Len())) }

// lookupFull finds "name" or "container|sub".
func (t *Table) lookupFull(name string) *Spec {
	name = strings.ToLower(name)
	top, sub, ok := strings.Cut(name, "|")
	s := t.byName[top]
	if s == nil || !ok {
		return s
	}
	return s.subs[sub]
}

// commandInfo: COMMAND INFO [command-name …]
func commandInfo(ctx *Ctx) {
	if len(ctx.Args) == 2 {
		commandAll(ctx)
		return
	}
	ctx.W.Array(len(ctx.Args) - 2)
	for _, a := range ctx.Args[2:] {
		if s := ctx.S.Table.lookupFull(string(a)); s != nil {
			writeInfo(ctx.W, s)
		} else {
			ctx.W.Null()
		}
	}
}

func writeInfo(w *resp.Writer, s *Spec) {
	w.Array(10)
	w.BulkString(s.Name)
	w.Int(int64(s.Arity))
	flags := s.Flags.Names()
	w.Set(len(flags))
	for _, f := range flags {
		w.Simple(f)
	}
	w.Int(int64(s.FirstKey))
	w.Int(int64(s.LastKey))
	w.Int(int64(s.Step))
	w.Set(len(s.ACL))
	for _, c := range s.ACL {
		w.Simple("@" + c)
	}
	w.Set(len(s.Doc.Tips))
	for _, t := range s.Doc.Tips {
		w.BulkString(t)
	}
	switch {
	case len(s.Doc.KeySpecs) > 0:
		// Redis's own key specs (docs_gen.go), access flags included.
		w.Set(len(s.Doc.KeySpecs)) // a set in RESP3, as Redis 7.0
		for i := range s.Doc.KeySpecs {
			writeKeySpec(w, &s.Doc.KeySpecs[i])
		}
	case s.FirstKey > 0:
		// Ours (commands Redis 7.0 does not have): one range spec.
		w.Set(1)
		writeKeySpec(w, &KeySpec{
			Begin: KeyBegin{Type: "index", Index: s.FirstKey},
			Find:  KeyFind{Type: "range", LastKey: relLast(s), KeyStep: s.Step},
		})
	default:
		w.Set(0)
	}
	// Subcommands: an array, or an empty set when there are none (Redis
	// 7.0's two replies).
	if len(s.Subs) == 0 {
		w.Set(0)
		return
	}
	w.Array(len(s.Subs))
	for _, sub := range s.Subs {
		writeInfo(w, sub)
	}
}

// relLast is s's last key relative to its first, as a range key spec
// puts it (negative: counted from the end).
func relLast(s *Spec) int {
	if s.LastKey >= 0 {
		return s.LastKey - s.FirstKey
	}
	return s.LastKey
}

// writeKeySpec writes one key spec map as COMMAND INFO does.
func writeKeySpec(w *resp.Writer, k *KeySpec) {
	n := 3
	if k.Notes != "" {
		n++
		w.Map(n)
		w.BulkString("notes")
		w.BulkString(k.Notes)
	} else {
		w.Map(n)
	}
	w.BulkString("flags")
	w.Set(len(k.Flags))
	for _, f := range k.Flags {
		w.Simple(f)
	}
	w.BulkString("begin_search")
	w.Map(2)
	w.BulkString("type")
	w.BulkString(k.Begin.Type)
	w.BulkString("spec")
	switch k.Begin.Type {
	case "index":
		w.Map(1)
		w.BulkString("index")
		w.Int(int64(k.Begin.Index))
	case "keyword":
		w.Map(2)
		w.BulkString("keyword")
		w.BulkString(k.Begin.Keyword)
		w.BulkString("startfrom")
		w.Int(int64(k.Begin.StartFrom))
	default:
		w.Map(0)
	}
	w.BulkString("find_keys")
	w.Map(2)
	w.BulkString("type")
	w.BulkString(k.Find.Type)
	w.BulkString("spec")
	switch k.Find.Type {
	case "range":
		w.Map(3)
		w.BulkString("lastkey")
		w.Int(int64(k.Find.LastKey))
		w.BulkString("keystep")
		w.Int(int64(k.Find.KeyStep))
		w.BulkString("limit")
		w.Int(int64(k.Find.Limit))
	case "keynum":
		w.Map(3)
		w.BulkString("keynumidx")
		w.Int(int64(k.Find.KeyNumIdx))
		w.BulkString("firstkey")
		w.Int(int64(k.Find.FirstKey))
		w.BulkString("keystep")
		w.Int(int64(k.Find.KeyStep))
	default:
		w.Map(0)
	}
}

// commandDocs: COMMAND DOCS [command-name …]
func commandDocs(ctx *Ctx) {
	var specs []*Spec
	if len(ctx.Args) == 2 {
		specs = ctx.S.Table.All()
	} else {
		for _, a := range ctx.Args[2:] {
			if s := ctx.S.Table.lookupFull(string(a)); s != nil {
				specs = append(specs, s)
			}
		}
	}
	ctx.W.Map(len(specs))
	for _, s := range specs {
		ctx.W.BulkString(s.Name)
		writeDoc(ctx.W, s)
	}
}

func writeDoc(w *resp.Writer, s *Spec) {
	d := &s.Doc
	n := 4
	if len(d.DocFlags) > 0 {
		n++
	}
	if d.Replaced != "" {
		n++
	}
	if len(d.History) > 0 {
		n++
	}
	if len(d.Args) > 0 {
		n++
	}
	if len(s.Subs) > 0 {
		n++
	}
	w.Map(n)
	w.BulkString("summary")
	w.BulkString(d.Summary)
	w.BulkString("since")
	w.BulkString(d.Since)
	w.BulkString("group")
	w.BulkString(d.Group)
	w.BulkString("complexity")
	w.BulkString(d.Complexity)
	if len(d.DocFlags) > 0 {
		w.BulkString("doc_flags")
		w.Set(len(d.DocFlags))
		for _, f := range d.DocFlags {
			w.Simple(f)
		}
	}
	if d.Replaced != "" {
		w.BulkString("replaced_by")
		w.BulkString(d.Replaced)
	}
	if len(d.History) > 0 {
		w.BulkString("history")
		w.Set(len(d.History))
		for _, h := range d.History {
			w.Array(2)
			w.BulkString(h[0])
			w.BulkString(h[1])
		}
	}
	if len(d.Args) > 0 {
		w.BulkString("arguments")
		writeArgs(w, d.Args)
	}
	if len(s.Subs) > 0 {
		w.BulkString("subcommands")
		w.Map(len(s.Subs))
		for _, sub := range s.Subs {
			w.BulkString(sub.Name)
			writeDoc(w, sub)
		}
	}
}

func writeArgs(w *resp.Writer, args []Arg) {
	w.Array(len(args))
	for _, a := range args {
		n := 2
		if a.KeySpec >= 0 && a.Type == "key" {
			n++
		}
		for _, s := range []string{a.Token, a.Display, a.Since} {
			if s != "" {
				n++
			}
		}
		if len(a.Flags) > 0 {
			n++
		}
		if len(a.Children) > 0 {
			n++
		}
		w.Map(n)
		w.BulkString("name")
		w.BulkString(a.Name)
		w.BulkString("type")
		w.BulkString(a.Type)
		if a.Display != "" {
			w.BulkString("display_text")
			w.BulkString(a.Display)
		}
		if a.KeySpec >= 0 && a.Type == "key" {
			w.BulkString("key_spec_index")
			w.Int(int64(a.KeySpec))
		}
		if a.Token != "" {
			w.BulkString("token")
			w.BulkString(a.Token)
		}
		if a.Since != "" {
			w.BulkString("since")
			w.BulkString(a.Since)
		}
		if len(a.Flags) > 0 {
			w.BulkString("flags")
			w.Set(len(a.Flags))
			for _, f := range a.Flags {
				w.Simple(f)
			}
		}
		if len(a.Children) > 0 {
			w.BulkString("arguments")
			writeArgs(w, a.Children)
		}
	}
}

// commandList: COMMAND LIST [FILTERBY MODULE name | ACLCAT cat | PATTERN p]
func commandList(ctx *Ctx) {
	var keep func(s *Spec) bool
	switch {
	case len(ctx.Args) == 2:
		keep = func(*Spec) bool { return true }
	case len(ctx.Args) == 5 && strings.EqualFold(string(ctx.Args[2]), "filterby"):
		v := string(ctx.Args[4])
		switch strings.ToLower(string(ctx.Args[3])) {
		case "module":
			keep = func(*Spec) bool { return false }
		case "aclcat":
			keep = func(s *Spec) bool {
				for _, c := range s.ACL {
					if strings.EqualFold(c, v) {
						return true
					}
				}
				return false
			}
		case "pattern":
			keep = func(s *Spec) bool { return glob.Match([]byte(v), []byte(s.Name), true) }
		}
	}
	if keep == nil {
		ctx.Err(ErrSyntax)
		return
	}
	var names []string
	var walk func([]*Spec)
	walk = func(specs []*Spec) {
		for _, s := range specs {
			if keep(s) {
				names = append(names, s.Name)
			}
			walk(s.Subs)
		}
	}
	walk(ctx.S.Table.All())
	ctx.W.Array(len(names))
	for _, n := range names {
		ctx.W.BulkString(n)
	}
}

// resolve finds the spec for a full command line (COMMAND GETKEYS).
func (ctx *Ctx) resolve(args [][]byte) *Spec {
	s := ctx.S.Table.Lookup(args[0])
	if s == nil {
		ctx.Err("ERR Invalid command specified")
		return nil
	}
	if s.subs != nil && len(args) >= 2 {
		if sub := s.LookupSub(args[1]); sub != nil {
			s = sub
		}
	}
	switch {
	case !aclHasKeys(s): // none, or only not_key ones (SPUBLISH's shard channel)
		ctx.Err("ERR The command has no key arguments")
		return nil
	case !s.checkArity(len(args)):
		ctx.Err("ERR Invalid number of arguments specified for command")
		return nil
	}
	return s
}

// commandGetKeys: COMMAND GETKEYS command [arg …]
func commandGetKeys(ctx *Ctx) {
	args := ctx.Args[2:]
	s := ctx.resolve(args)
	if s == nil {
		return
	}
	keys, ok := getKeys(ctx, s, args)
	if !ok {
		return
	}
	ctx.W.Array(len(keys))
	for _, i := range keys {
		ctx.W.Bulk(args[i])
	}
}

// getKeys finds the keys of args for COMMAND GETKEYS[ANDFLAGS] with
// Redis's errors: a command without key arguments, or no keys found where
// the command must have some; none found where keys are optional (EVAL
// with numkeys 0) is an empty answer.
func getKeys(ctx *Ctx, s *Spec, args [][]byte) ([]int, bool) {
	keys := s.Keys(args)
	if len(keys) == 0 && s.Flags&NoMandatoryKeys == 0 {
		ctx.Err("ERR Invalid arguments specified for command")
		return nil, false
	}
	return keys, true
}

func commandGetKeysAndFlags(ctx *Ctx) {
	args := ctx.Args[2:]
	s := ctx.resolve(args)
	if s == nil {
		return
	}
	keys, ok := getKeys(ctx, s, args)
	if !ok {
		return
	}
	ctx.W.Array(len(keys))
	for _, i := range keys {
		ctx.W.Array(2)
		ctx.W.Bulk(args[i])
		f, _ := s.keyFlags(args, i)
		// incomplete says the spec may miss keys; Redis's getkeys procedure,
		// which found them all, reports the key without it (MIGRATE … KEYS).
		names := (f &^ ksIncomplete).names()
		ctx.W.Set(len(names))
		for _, x := range names {
			ctx.W.Simple(x)
		}
	}
}

func commandHelp(ctx *Ctx) {
	writeHelp(ctx, "COMMAND", []string{
		"(no subcommand)", "    Return details about all Redis commands.",
		"COUNT", "    Return the total number of commands in this Redis server.",
		"LIST", "    Return a list of all commands in this Redis server.",
		"INFO [<command-name> ...]", "    Return details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"GETKEYS <full-command>", "    Return the keys from a full Redis command.",
		"GETKEYSANDFLAGS <full-command>", "    Return the keys and the access flags from a full Redis command.",
	})
}
