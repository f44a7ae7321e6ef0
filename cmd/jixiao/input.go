package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"jixiao"
)

// input is the projects of every FILE, merged, with the order in which
// projects and rejections came so that rejections can be listed in
// input order.
type input struct {
	projects []jixiao.Project
	entries  []entry
}

// entry is one project of the input, in order: either a project to
// score (an index into projects) or a project rejected before scoring.
type entry struct {
	project  int
	rejected *jixiao.Rejection
}

// readInputs decodes every project file and merges them. A project whose
// id and year repeat one from an earlier file is rejected, as the
// decoder does within one file. On failure it reports why and returns
// the exit status.
func readInputs(s *streams, files []string) (*input, int) {
	in := &input{}
	seen := map[string]string{} // "year/id" → the file it first came from
	for _, name := range files {
		data, err := readFile(s.stdin, name)
		if err != nil {
			s.log.Error("cannot read projects", "file", displayName(name), "err", err)
			return nil, exitUsage
		}
		dec, err := jixiao.DecodeProjectsBytes(data)
		if err != nil {
			s.log.Error("cannot read projects", "file", displayName(name), "err", describe(err))
			return nil, exitUsage
		}
		for _, it := range fileOrder(data, dec) {
			if !it.isProject {
				r := dec.Rejected[it.index]
				if len(files) > 1 && strings.HasPrefix(r.ProjectID, "#") {
					r.ProjectID = displayName(name) + r.ProjectID
				}
				in.entries = append(in.entries, entry{project: -1, rejected: &r})
				continue
			}
			p := dec.Projects[it.index]
			key := strconv.Itoa(p.Year) + "/" + p.ID
			if first, dup := seen[key]; dup {
				in.entries = append(in.entries, entry{project: -1, rejected: &jixiao.Rejection{ProjectID: p.ID, Errors: []string{
					fmt.Sprintf("id: duplicate id %q in year %d (first in %s)", p.ID, p.Year, first)}}})
				continue
			}
			seen[key] = displayName(name)
			in.entries = append(in.entries, entry{project: len(in.projects)})
			in.projects = append(in.projects, p)
		}
	}
	return in, exitOK
}

// mergeRejected lists the projects rejected while reading and those the
// rules rejected, in input order.
func (in *input) mergeRejected(out jixiao.Outcome) []jixiao.Rejection {
	// ScoreAll keeps the projects' order in both of its lists; walk them
	// together to find which projects were rejected. A result also names
	// its project, which tells apart most projects that share an id.
	byProject := make([]*jixiao.Rejection, len(in.projects))
	ri, si := 0, 0
	for k, p := range in.projects {
		scored := ri < len(out.Results) && out.Results[ri].ProjectID == p.ID && out.Results[ri].ProjectName == p.Name
		switch {
		case scored:
			ri++
		case si < len(out.Rejected) && out.Rejected[si].ProjectID == p.ID:
			byProject[k] = &out.Rejected[si]
			si++
		default:
			// Not a shape ScoreAll returns; keep every rejection, the
			// ones found while reading first.
			return in.rejectedFirst(out)
		}
	}
	if ri != len(out.Results) || si != len(out.Rejected) {
		return in.rejectedFirst(out)
	}
	var all []jixiao.Rejection
	for _, e := range in.entries {
		switch {
		case e.rejected != nil:
			all = append(all, *e.rejected)
		case byProject[e.project] != nil:
			all = append(all, *byProject[e.project])
		}
	}
	return all
}

func (in *input) rejectedFirst(out jixiao.Outcome) []jixiao.Rejection {
	var all []jixiao.Rejection
	for _, e := range in.entries {
		if e.rejected != nil {
			all = append(all, *e.rejected)
		}
	}
	return append(all, out.Rejected...)
}

// item places one project of a decoded file: the index-th of its
// projects or of its rejections.
type item struct {
	isProject bool
	index     int
}

// fileOrder recovers the order of a decoded file's projects and
// rejections from the document: the decoder returns them in two lists.
// The decoder labels a rejection with the project's id, or "#n" for the
// n-th project when it has none. If the document cannot be matched, the
// rejections come first.
func fileOrder(data []byte, dec *jixiao.Input) []item {
	if order := matchOrder(rawKeys(data), dec); order != nil {
		return order
	}
	order := make([]item, 0, len(dec.Rejected)+len(dec.Projects))
	for i := range dec.Rejected {
		order = append(order, item{index: i})
	}
	for i := range dec.Projects {
		order = append(order, item{isProject: true, index: i})
	}
	return order
}

func matchOrder(raws []rawKey, dec *jixiao.Input) []item {
	if raws == nil || len(raws) != len(dec.Projects)+len(dec.Rejected) {
		return nil
	}
	order := make([]item, 0, len(raws))
	pi, ri := 0, 0
	for i, raw := range raws {
		label := raw.id
		if label == "" {
			label = "#" + strconv.Itoa(i+1)
		}
		switch {
		case pi < len(dec.Projects) && raw.is(&dec.Projects[pi]):
			order = append(order, item{isProject: true, index: pi})
			pi++
		case ri < len(dec.Rejected) && dec.Rejected[ri].ProjectID == label:
			order = append(order, item{index: ri})
			ri++
		default:
			return nil
		}
	}
	return order
}

// rawKey is what tells one project of a document from another: its id,
// name and year as the decoder reads them.
type rawKey struct {
	id, name string
	year     int
}

// is reports whether p was decoded from the project with this key. A
// project rejected for another reason, or for repeating an id and year,
// never has the key of the accepted project that follows it, since
// the decoder rejects any later project with the same id and year.
func (k rawKey) is(p *jixiao.Project) bool {
	return k.id != "" && k.id == p.ID && k.name == p.Name && k.year == p.Year
}

// rawKeys returns the key of each project in a document the decoder
// accepted: strings trimmed, and empty when missing or not a string.
func rawKeys(data []byte) []rawKey {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var raws []json.RawMessage
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		if json.Unmarshal(data, &raws) != nil {
			return nil
		}
	} else {
		var doc struct {
			Projects []json.RawMessage `json:"projects"`
		}
		if json.Unmarshal(data, &doc) != nil {
			return nil
		}
		raws = doc.Projects
	}
	keys := make([]rawKey, len(raws))
	for i, raw := range raws {
		var p struct {
			ID   json.RawMessage `json:"id"`
			Name json.RawMessage `json:"name"`
			Year json.RawMessage `json:"year"`
		}
		if json.Unmarshal(raw, &p) != nil {
			continue
		}
		var id, name string
		if json.Unmarshal(p.ID, &id) == nil {
			keys[i].id = strings.TrimSpace(id)
		}
		if json.Unmarshal(p.Name, &name) == nil {
			keys[i].name = strings.TrimSpace(name)
		}
		keys[i].year, _ = strconv.Atoi(string(p.Year))
	}
	return keys
}

func readFile(stdin io.Reader, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}

func displayName(name string) string {
	if name == "-" {
		return "<stdin>"
	}
	return name
}

// describe gives the user-facing text of an error: the message of an
// application error without its code, or the error itself.
func describe(err error) string {
	var e *jixiao.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}
