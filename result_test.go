package jixiao

import (
	"slices"
	"testing"
)

// Nodes yields the whole tree depth first, each node before its children,
// and stops when the loop does; Find uses it.
func TestResultNodes(t *testing.T) {
	r := &Result{Indicators: []Node{
		{ID: "a", Children: []Node{{ID: "a.1"}, {ID: "a.2", Children: []Node{{ID: "a.2.1"}}}}},
		{ID: "b"},
	}}
	var ids []string
	for n := range r.Nodes() {
		ids = append(ids, n.ID)
	}
	if want := []string{"a", "a.1", "a.2", "a.2.1", "b"}; !slices.Equal(ids, want) {
		t.Errorf("nodes %v, want %v", ids, want)
	}
	ids = ids[:0]
	for n := range r.Nodes() {
		ids = append(ids, n.ID)
		if n.ID == "a.2" {
			break
		}
	}
	if want := []string{"a", "a.1", "a.2"}; !slices.Equal(ids, want) {
		t.Errorf("nodes up to the break %v, want %v", ids, want)
	}
	if n := r.Find("a.2.1"); n == nil || n != &r.Indicators[0].Children[1].Children[0] {
		t.Errorf("Find(a.2.1) = %p, want the node in the tree", n)
	}
	if n := r.Find("c"); n != nil {
		t.Errorf("Find(c) = %+v, want nil", n)
	}
}
