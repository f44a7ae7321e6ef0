package rules

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"jixiao"
)

// Parents finds the effective rule file of a rule-set id, for a file that
// extends it; false when there is none.
type Parents func(id string) (*File, bool)

// A file that extends another states only its differences. Its effective
// file is the parent's effective file with the child's keys merged in:
//
//   - a mapping merges key by key, and a key set to null (~) is removed;
//   - indicators (anywhere in the tree), checks (by id and scope) and
//     leaf_rules (by name) are matched by key, and the child's entry is
//     merged into the parent's; an entry with "remove: true" removes it; an
//     entry that matches nothing is added at the end of its list;
//   - any other list (cases, grades, level1) is replaced whole;
//   - tests are not inherited: their expectations depend on the points, so
//     a child states its own.
//
// The effective file is what is hashed, stored and shown. Its values keep
// their position in the child file; the ones that come from the parent
// are placed at the child's extends line, so every error points into the
// child file.

// removeKey marks a list entry that removes the parent's entry it matches.
const removeKey = "remove"

// topLevelValue returns the value of a top-level key of a document, or nil.
func topLevelValue(doc *yaml.Node, key string) *yaml.Node {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// inherit builds the effective document of a child document that extends
// parent. It reports problems of the merge at the child's lines.
func inherit(r *Reporter, child *yaml.Node, extends Text, parent *File) (*yaml.Node, bool) {
	var pdoc yaml.Node
	if err := yaml.Unmarshal(parent.Body, &pdoc); err != nil || len(pdoc.Content) == 0 {
		r.At(extends, "", "extends %s: the parent's rule file does not read back: %v", extends.Value, err)
		return nil, false
	}
	placeAt(&pdoc, extends.Line, extends.Column)
	m := &merger{r: r}
	out := m.mapping(pdoc.Content[0], child.Content[0], true)
	if len(r.Errs) > 0 {
		return nil, false
	}
	id := ""
	if v := mapValue(child.Content[0], "id"); v != nil {
		id = v.Value
	}
	out.HeadComment = fmt.Sprintf("%s 继承自 %s（版本 %s，sha256 %s），以下为合并后的完整规则。",
		id, parent.ID.Value, parent.Version.Value, jixiao.ShortHash(parent.Hash))
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{out}}, true
}

// placeAt gives every node of the tree the position line:column, and
// drops the comments, which speak of the parent file.
func placeAt(n *yaml.Node, line, column int) {
	n.Line, n.Column = line, column
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for _, c := range n.Content {
		placeAt(c, line, column)
	}
}

type merger struct{ r *Reporter }

// listKey is the key by which the entries of a list are matched: "id" for
// indicators and checks, "name" for leaf rule tables; "" for a list that
// is replaced whole.
func listKey(key string) string {
	switch key {
	case "indicators", "children", "checks":
		return "id"
	case "leaf_rules":
		return "name"
	}
	return ""
}

// mapping merges the child mapping c into the parent mapping p.
func (m *merger) mapping(p, c *yaml.Node, top bool) *yaml.Node {
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: p.Tag, Style: p.Style, Line: p.Line, Column: p.Column}
	out.Content = append(out.Content, p.Content...)
	for i := 0; i+1 < len(c.Content); i += 2 {
		k, v := c.Content[i], c.Content[i+1]
		at := -1
		for j := 0; j+1 < len(out.Content); j += 2 {
			if out.Content[j].Value == k.Value {
				at = j
				break
			}
		}
		switch {
		case top && k.Value == "tests":
			continue // the child's tests are set below
		case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
			if at >= 0 {
				out.Content = append(out.Content[:at:at], out.Content[at+2:]...)
			}
			continue
		case at < 0:
			out.Content = append(out.Content, k, v)
			continue
		}
		pv := out.Content[at+1]
		switch {
		case listKey(k.Value) != "" && pv.Kind == yaml.SequenceNode && v.Kind == yaml.SequenceNode:
			out.Content[at+1] = m.list(k.Value, pv, v)
		case pv.Kind == yaml.MappingNode && v.Kind == yaml.MappingNode:
			out.Content[at+1] = m.mapping(pv, v, false)
		default:
			out.Content[at], out.Content[at+1] = k, v
		}
	}
	if top {
		// The effective file stands alone: what it extends is said in
		// its head comment, so that a stored version reads back as it is.
		for j := 0; j+1 < len(out.Content); j += 2 {
			if out.Content[j].Value == "extends" {
				out.Content = append(out.Content[:j:j], out.Content[j+2:]...)
				break
			}
		}
		// Tests are the child's own, or none.
		for j := 0; j+1 < len(out.Content); j += 2 {
			if out.Content[j].Value == "tests" {
				out.Content = append(out.Content[:j:j], out.Content[j+2:]...)
				break
			}
		}
		for i := 0; i+1 < len(c.Content); i += 2 {
			if c.Content[i].Value == "tests" {
				out.Content = append(out.Content, c.Content[i], c.Content[i+1])
			}
		}
	}
	return out
}

// list merges the child's entries of a keyed list into the parent's.
func (m *merger) list(name string, p, c *yaml.Node) *yaml.Node {
	out := &yaml.Node{Kind: yaml.SequenceNode, Tag: p.Tag, Style: p.Style, Line: p.Line, Column: p.Column}
	out.Content = append(out.Content, p.Content...)
	key := listKey(name)
	for _, e := range c.Content {
		if e.Kind != yaml.MappingNode {
			out.Content = append(out.Content, e) // reported by the decoder
			continue
		}
		kv := mapValue(e, key)
		if kv == nil {
			m.r.AtLine(e.Line, e.Column, "", "an entry of %s in a file that extends another needs its %s", name, key)
			continue
		}
		remove := isTrue(mapValue(e, removeKey))
		holder, at := findEntry(out, name, e, key)
		switch {
		case at < 0 && remove:
			m.r.AtLine(kv.Line, kv.Column, entryWhere(name, kv.Value), "nothing to remove: the parent has no %s %s", singular(name), kv.Value)
		case at < 0:
			out.Content = append(out.Content, e)
		case remove:
			if len(e.Content) > 4 {
				m.r.AtLine(e.Line, e.Column, entryWhere(name, kv.Value), "an entry that removes gives its %s and remove: true only", key)
			}
			holder.Content = append(holder.Content[:at:at], holder.Content[at+1:]...)
		default:
			holder.Content[at] = m.mapping(holder.Content[at], e, false)
		}
	}
	return out
}

// findEntry finds the parent's entry that a child entry matches: in the
// list itself, and for indicators anywhere below it. It copies the lists
// on the way, so that the parent's tree is not changed.
func findEntry(list *yaml.Node, name string, e *yaml.Node, key string) (*yaml.Node, int) {
	want := mapValue(e, key).Value
	scope := scopeOf(e)
	for i, x := range list.Content {
		if x.Kind != yaml.MappingNode {
			continue
		}
		if v := mapValue(x, key); v != nil && v.Value == want && (name != "checks" || scopeOf(x) == scope) {
			return list, i
		}
	}
	if name != "indicators" && name != "children" {
		return nil, -1
	}
	for i, x := range list.Content {
		kids := mapValue(x, "children")
		if kids == nil || kids.Kind != yaml.SequenceNode {
			continue
		}
		copied := &yaml.Node{Kind: yaml.SequenceNode, Tag: kids.Tag, Style: kids.Style, Line: kids.Line, Column: kids.Column,
			Content: append([]*yaml.Node(nil), kids.Content...)}
		if holder, at := findEntry(copied, "children", e, key); at >= 0 {
			x = withValue(x, "children", copied)
			list.Content[i] = x
			return holder, at
		}
	}
	return nil, -1
}

// withValue returns a copy of the mapping with key set to v.
func withValue(mapping *yaml.Node, key string, v *yaml.Node) *yaml.Node {
	out := *mapping
	out.Content = append([]*yaml.Node(nil), mapping.Content...)
	for i := 0; i+1 < len(out.Content); i += 2 {
		if out.Content[i].Value == key {
			out.Content[i+1] = v
		}
	}
	return &out
}

func scopeOf(check *yaml.Node) string {
	if v := mapValue(check, "scope"); v != nil && v.Value != "" {
		return v.Value
	}
	return ScopeProject
}

func mapValue(mapping *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(mapping.Content); i += 2 {
		if mapping.Content[i].Value == key {
			return mapping.Content[i+1]
		}
	}
	return nil
}

func isTrue(n *yaml.Node) bool {
	var b bool
	return n != nil && n.Decode(&b) == nil && b
}

func singular(list string) string {
	switch list {
	case "indicators", "children":
		return "indicator"
	case "checks":
		return "check"
	}
	return "leaf rule table"
}

func entryWhere(list, key string) string {
	if list == "indicators" || list == "children" {
		return key
	}
	return singular(list) + " " + key
}

// effectiveBody writes the effective document.
func effectiveBody(doc *yaml.Node) ([]byte, string, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, "", err
	}
	if err := enc.Close(); err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(b.Bytes())
	return b.Bytes(), hex.EncodeToString(sum[:]), nil
}

// ExtendsOf reads the id a rule file extends, or "" for none; for loaders
// that must load the parent first.
func ExtendsOf(data []byte) string { return topLevelText(data, "extends") }

// IDOf reads the top-level id of a rule file, or "" when it has none that
// can be read.
func IDOf(data []byte) string { return topLevelText(data, "id") }

// topLevelText reads a top-level scalar of a rule file that may not load,
// or "".
func topLevelText(data []byte, key string) string {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil {
		return ""
	}
	if v := topLevelValue(&doc, key); v != nil && v.Kind == yaml.ScalarNode {
		return strings.TrimSpace(v.Value)
	}
	return ""
}

// inherit returns the effective file of f, which extends another rule set,
// or nil after reporting why there is none. doc is f's document.
func (f *File) inherit(r *Reporter, doc *yaml.Node, parents Parents) *File {
	ext := f.Extends
	if ext.Value == f.ID.Value {
		r.At(ext, "", "extends %s: a rule set cannot extend itself", ext.Value)
		return nil
	}
	var parent *File
	ok := false
	if parents != nil {
		parent, ok = parents(ext.Value)
	}
	if !ok {
		r.At(ext, "", "extends %s: there is no active rule set %s", ext.Value, ext.Value)
		return nil
	}
	merged, ok := inherit(r, doc, ext, parent)
	if !ok {
		return nil
	}
	body, hash, err := effectiveBody(merged)
	if err != nil {
		r.At(ext, "", "extends %s: the effective rule file cannot be written: %v", ext.Value, err)
		return nil
	}
	eff := &File{Path: f.Path, Hash: hash, Body: body}
	if err := merged.Content[0].Decode(eff); err != nil {
		for _, msg := range typeErrors(err) {
			r.At(ext, "", "extends %s: %s", ext.Value, msg)
		}
		return nil
	}
	eff.Extends = ext
	return eff
}

// checkRemovals reports "remove: true" in a file that extends nothing; in
// the effective file of one that does, the removals are done.
func (f *File) checkRemovals(r *Reporter) {
	const why = "remove: true is only for a file that extends another rule set"
	f.Walk(func(ind, _ *Indicator) {
		if ind.Remove {
			r.At(ind.ID, ind.ID.Value, why)
		}
	})
	for _, c := range f.Checks {
		if c.Remove {
			r.At(c.ID, "check "+c.ID.Value, why)
		}
	}
	for _, l := range f.LeafRules {
		if l.Remove {
			r.At(l.Name, "leaf_rules "+l.Name.Value, why)
		}
	}
}

// ParentsOf finds a parent among the sources, the first list first and
// within a list the first source of that id, and parses it (finding its
// own parent the same way). A parent that does not load, or that extends
// itself through others, is not found.
func ParentsOf(lists ...[]Source) Parents {
	done := map[string]*File{}
	busy := map[string]bool{}
	var find Parents
	find = func(id string) (*File, bool) {
		if f, ok := done[id]; ok {
			return f, f != nil
		}
		if busy[id] {
			return nil, false
		}
		busy[id] = true
		defer delete(busy, id)
		for _, list := range lists {
			for _, src := range list {
				if IDOf(src.Data) != id {
					continue
				}
				f, err := ParseWith(src.Path, src.Data, find)
				if err != nil {
					f = nil
				}
				done[id] = f
				return f, f != nil
			}
		}
		return nil, false
	}
	return find
}
