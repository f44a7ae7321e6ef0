package rules

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// Source is the text of one rule file and where it came from.
type Source struct {
	Path string // "builtin/cn-mof-2020-self.yaml" or a file path
	Data []byte
}

// Builtin returns the rule files shipped in the binary, by file name.
func Builtin() []Source {
	entries, _ := fs.ReadDir(builtinFS, "builtin")
	out := make([]Source, 0, len(entries))
	for _, e := range entries {
		data, _ := builtinFS.ReadFile("builtin/" + e.Name())
		out = append(out, Source{Path: "builtin/" + e.Name(), Data: data})
	}
	return out
}

// BuiltinByID returns the built-in rule file whose name is id + ".yaml".
func BuiltinByID(id string) (Source, bool) {
	data, err := builtinFS.ReadFile("builtin/" + id + ".yaml")
	if err != nil {
		return Source{}, false
	}
	return Source{Path: "builtin/" + id + ".yaml", Data: data}, true
}

// IsRuleFile reports whether a file name is one the loader reads.
func IsRuleFile(name string) bool {
	if strings.HasPrefix(filepath.Base(name), ".") {
		return false // editors' swap and backup files
	}
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// ReadDir returns the rule files in dir, sorted by name.
func ReadDir(dir string) ([]Source, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Source
	for _, e := range entries {
		if e.IsDir() || !IsRuleFile(e.Name()) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		out = append(out, Source{Path: path, Data: data})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Resolve turns a --rules argument into rule files: a built-in id, a
// file, or a directory of files.
func Resolve(arg string) ([]Source, error) {
	if st, err := os.Stat(arg); err == nil {
		if st.IsDir() {
			srcs, err := ReadDir(arg)
			if err == nil && len(srcs) == 0 {
				return nil, fmt.Errorf("%s: no .yaml rule files", arg)
			}
			return srcs, err
		}
		if st.Size() > MaxFileSize {
			return nil, fmt.Errorf("%s: %d bytes, larger than the %d allowed", arg, st.Size(), MaxFileSize)
		}
		data, err := os.ReadFile(arg)
		if err != nil {
			return nil, err
		}
		return []Source{{Path: arg, Data: data}}, nil
	}
	if src, ok := BuiltinByID(arg); ok {
		return []Source{src}, nil
	}
	ids := make([]string, 0)
	for _, s := range Builtin() {
		ids = append(ids, strings.TrimSuffix(filepath.Base(s.Path), ".yaml"))
	}
	return nil, fmt.Errorf("%s: no such file, directory or built-in rule set (built-in: %s)", arg, strings.Join(ids, ", "))
}
