package whatif

import (
	"container/heap"
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"

	"jixiao"
	"jixiao/engine"
)

// Bounds of what a population comparison keeps in memory, whatever the
// number of projects.
const (
	DefaultPerPage = 100  // projects listed in a report
	MaxPerPage     = 1000 // at most
	MaxChangedIDs  = 1000 // ids in Summary.Changed; Summary.ChangedTotal counts them all
)

// PageOrder is the order in which a population report lists projects:
// those whose grade changed first, then those whose total alone changed;
// within each, the largest |delta| first (a project that becomes
// rejected, or stops being rejected, has no delta and comes before all
// others); then the unchanged ones; ties in input order. A reviewer sees
// the projects whose consequences change, the largest moves first, and a
// small selection (one project tried out) is listed whole.
const PageOrder = "grade_changed,abs_delta_desc,unchanged_last,input"

// Page tells which part of the projects a report lists. A project is
// changed when its grade or its total differs between the sides.
type Page struct {
	Order      string `json:"order"`
	PerPage    int    `json:"per_page"`
	Listed     int    `json:"listed"`                // projects in all, changed or not
	Cursor     string `json:"cursor,omitempty"`      // this page follows it
	NextCursor string `json:"next_cursor,omitempty"` // the next page, when there is one
}

// PopulationOptions configure a Population.
type PopulationOptions struct {
	PerPage int    // projects to list, 0: DefaultPerPage
	Cursor  string // list those after this one, from Page.NextCursor
	Workers int    // scoring goroutines, 0: one per core
	// Each, when set, is called with every changed project in input
	// order, as it is found: an export of them all. Its error stops
	// the comparison.
	Each func(*ProjectChange) error
}

// Population compares projects that arrive in chunks, as a stream read
// from storage, keeping only the summary and one page of the changed
// projects: memory does not grow with the number of projects. Its
// summary equals the one Simulate gives for the same projects, except
// that Summary.Changed holds only the first MaxChangedIDs ids.
type Population struct {
	base, scen *engine.RuleSet
	set        *overrideSet
	opt        PopulationOptions
	after      *rank // the cursor, if any

	sum   Summary
	row   map[string]int
	total jixiao.Decimal
	seq   int

	listed int      // changed projects
	more   int      // changed projects after the cursor
	top    pageHeap // the page: at most PerPage of them

	// Scratch space reused from chunk to chunk.
	changed      []jixiao.Project
	own, touched []bool
	sideB, sideS []Side
	scorers      []*sidePair
}

type sidePair struct{ base, scen *engine.Scorer }

// NewPopulation starts a comparison of projects under baseRS with their
// copies changed by overrides under scenRS (nil: baseRS).
func NewPopulation(baseRS, scenRS *engine.RuleSet, overrides []Override, opt PopulationOptions) (*Population, error) {
	if baseRS == nil {
		return nil, jixiao.Errorf(jixiao.EINVALID, "compare: no baseline rule set")
	}
	if scenRS == nil {
		scenRS = baseRS
	}
	switch {
	case opt.PerPage == 0:
		opt.PerPage = DefaultPerPage
	case opt.PerPage < 1 || opt.PerPage > MaxPerPage:
		e := jixiao.Errorf(jixiao.EINVALID, "per_page 须在 1 到 %d 之间，收到 %d", MaxPerPage, opt.PerPage)
		e.Details = []jixiao.FieldError{{Field: "per_page", Message: fmt.Sprintf("须在 1 到 %d 之间", MaxPerPage)}}
		return nil, e
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	set, err := compileOverrides(overrides)
	if err != nil {
		return nil, err
	}
	p := &Population{base: baseRS, scen: scenRS, set: set, opt: opt}
	if opt.Cursor != "" {
		r, err := parseCursor(opt.Cursor)
		if err != nil {
			return nil, err
		}
		p.after = &r
	}
	grades := gradeOrder(scenRS, baseRS)
	p.row = make(map[string]int, len(grades))
	p.sum = Summary{
		Grades:  grades,
		Before:  make(map[string]int, len(grades)),
		After:   make(map[string]int, len(grades)),
		Matrix:  make([][]int, len(grades)),
		Changed: []string{},
	}
	for i, g := range grades {
		p.row[g] = i
		p.sum.Before[g], p.sum.After[g] = 0, 0
		p.sum.Matrix[i] = make([]int, len(grades))
	}
	return p, nil
}

// Projects is how many projects have been added.
func (p *Population) Projects() int { return p.seq }

// Add compares the next projects. It stops early, with ctx's error, when
// ctx is cancelled.
func (p *Population) Add(ctx context.Context, projects []jixiao.Project) error {
	n := len(projects)
	if n == 0 {
		return ctx.Err()
	}
	if cap(p.changed) < n {
		p.changed = make([]jixiao.Project, n)
		p.own = make([]bool, n)
		p.touched = make([]bool, n)
		p.sideB = make([]Side, n)
		p.sideS = make([]Side, n)
	}
	changed, own, touched := p.changed[:n], p.own[:n], p.touched[:n]
	before, after := p.sideB[:n], p.sideS[:n]
	if err := p.set.applyChunk(projects, changed, own, touched); err != nil {
		return err
	}
	if err := p.score(ctx, projects, changed, touched, before, after); err != nil {
		return err
	}
	for i := range projects {
		if err := p.accumulate(&projects[i], &before[i], &after[i]); err != nil {
			return err
		}
	}
	clear(changed) // let the chunk's projects go
	return nil
}

// score scores both sides of every project, scores only, on up to
// Workers goroutines. A project no override touched has the same outcome
// on both sides when the rule sets are the same: it is scored once.
func (p *Population) score(ctx context.Context, base, scen []jixiao.Project, touched []bool, before, after []Side) error {
	same := p.base == p.scen || p.base.Ref() == p.scen.Ref()
	n := len(base)
	workers := min(p.opt.Workers, max(1, n/64))
	for len(p.scorers) < workers { // made as needed: a few projects need one pair
		p.scorers = append(p.scorers, &sidePair{p.base.NewScorer().ScoresOnly(), p.scen.NewScorer().ScoresOnly()})
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		sc := p.scorers[w]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				if i%256 == 0 && ctx.Err() != nil {
					return
				}
				before[i] = side(sc.base, &base[i])
				if same && !touched[i] {
					after[i] = before[i]
				} else {
					after[i] = side(sc.scen, &scen[i])
				}
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// accumulate adds one compared project to the summary and the page, as
// compare does for a whole list.
func (p *Population) accumulate(proj *jixiao.Project, b, s *Side) error {
	sum := &p.sum
	seq := p.seq
	p.seq++
	sum.Projects++
	if b.scored() {
		sum.Before[b.Grade]++
	} else {
		sum.RejectedBaseline++
	}
	if s.scored() {
		sum.After[s.Grade]++
	} else {
		sum.RejectedScenario++
	}
	var delta *jixiao.Decimal
	if b.scored() && s.scored() {
		d := s.Total - b.Total
		delta = &d
		if sum.Compared == 0 || d < sum.MinDelta {
			sum.MinDelta = d
		}
		if sum.Compared == 0 || d > sum.MaxDelta {
			sum.MaxDelta = d
		}
		sum.Compared++
		p.total += d
		r, okr := p.row[b.Grade]
		c, okc := p.row[s.Grade]
		if okr && okc {
			sum.Matrix[r][c]++
		}
	}
	gradeChanged := b.Grade != s.Grade
	if gradeChanged {
		sum.ChangedTotal++
		if len(sum.Changed) < MaxChangedIDs {
			sum.Changed = append(sum.Changed, strings.Clone(proj.ID))
		}
	}
	unchanged := !gradeChanged && (delta == nil || *delta == 0)

	r := rank{class: 1, abs: math.MaxInt64, seq: seq}
	switch {
	case gradeChanged:
		r.class = 0
	case unchanged:
		r.class, r.abs = 2, 0
	}
	if delta != nil {
		r.abs = abs64(int64(*delta))
	}
	var pc *ProjectChange
	change := func() *ProjectChange {
		if pc == nil {
			bc, sc := *b, *s
			// Cloned: a decoded project's strings may share its whole
			// stored body, which a kept change should not hold on to.
			pc = &ProjectChange{ProjectID: strings.Clone(proj.ID), Name: strings.Clone(proj.Name), Year: proj.Year,
				Baseline: &bc, Scenario: &sc, Delta: delta, GradeChanged: gradeChanged}
		}
		return pc
	}
	if p.opt.Each != nil && !unchanged {
		if err := p.opt.Each(change()); err != nil {
			return err
		}
	}
	p.listed++
	if p.after != nil && !p.after.before(r) {
		return nil
	}
	p.more++
	switch {
	case len(p.top) < p.opt.PerPage:
		heap.Push(&p.top, ranked{r, change()})
	case r.before(p.top[0].rank):
		p.top[0] = ranked{r, change()}
		heap.Fix(&p.top, 0)
	}
	return nil
}

// Report finishes the comparison: it checks that every override changed
// something, as Apply does, and returns the summary with one page of the
// changed projects in PageOrder.
func (p *Population) Report() (Report, error) {
	if err := p.set.check(); err != nil {
		return Report{}, err
	}
	sum := p.sum
	if sum.Compared > 0 {
		sum.MeanDelta = p.total.MulDiv(1, int64(sum.Compared))
	}
	items := make([]ProjectChange, len(p.top))
	page := Page{Order: PageOrder, PerPage: p.opt.PerPage, Listed: p.listed, Cursor: p.opt.Cursor}
	var last rank
	for i := len(p.top) - 1; i >= 0; i-- {
		r := heap.Pop(&p.top).(ranked)
		if i == len(items)-1 {
			last = r.rank
		}
		items[i] = *r.pc
	}
	if p.more > len(items) {
		page.NextCursor = last.cursor()
	}
	return Report{Baseline: p.base.Ref(), Scenario: p.scen.Ref(), Projects: items, Summary: sum, Page: &page}, nil
}

// rank is a changed project's place in PageOrder.
type rank struct {
	class int   // 0: grade changed, 1: total only, 2: unchanged
	abs   int64 // |delta| in hundredths; MaxInt64 without a delta
	seq   int   // input order
}

// before reports whether r comes before o in PageOrder.
func (r rank) before(o rank) bool {
	if r.class != o.class {
		return r.class < o.class
	}
	if r.abs != o.abs {
		return r.abs > o.abs
	}
	return r.seq < o.seq
}

func (r rank) cursor() string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d.%d.%d", r.class, r.abs, r.seq))
}

func parseCursor(s string) (rank, error) {
	var r rank
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		var n int
		n, err = fmt.Sscanf(string(b), "%d.%d.%d", &r.class, &r.abs, &r.seq)
		if err == nil && (n != 3 || r.class < 0 || r.class > 2 || r.abs < 0 || r.seq < 0) {
			err = fmt.Errorf("out of range")
		}
	}
	if err != nil {
		e := jixiao.Errorf(jixiao.EINVALID, "cursor 无效：请使用上一页结果中的 page.next_cursor")
		e.Details = []jixiao.FieldError{{Field: "cursor", Message: "无效的翻页位置，请使用上一页结果中的 page.next_cursor"}}
		return rank{}, e
	}
	return r, nil
}

type ranked struct {
	rank
	pc *ProjectChange
}

// pageHeap holds the page with its last project in PageOrder on top.
type pageHeap []ranked

func (h pageHeap) Len() int           { return len(h) }
func (h pageHeap) Less(i, j int) bool { return h[j].rank.before(h[i].rank) }
func (h pageHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *pageHeap) Push(x any)        { *h = append(*h, x.(ranked)) }
func (h *pageHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
