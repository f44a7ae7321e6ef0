package main

import (
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
		for _, it := range dec.Order {
			if it.Project < 0 {
				r := dec.Rejected[it.Rejected]
				if len(files) > 1 && strings.HasPrefix(r.ProjectID, "#") {
					r.ProjectID = displayName(name) + r.ProjectID
				}
				in.entries = append(in.entries, entry{project: -1, rejected: &r})
				continue
			}
			p := dec.Projects[it.Project]
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

// outcome combines the scores with the rejections made while reading,
// each list in input order.
func (in *input) outcome(results []jixiao.Result, rejected []*jixiao.Rejection) jixiao.Outcome {
	out := jixiao.Outcome{Results: make([]jixiao.Result, 0, len(results)), Rejected: []jixiao.Rejection{}}
	for _, e := range in.entries {
		switch {
		case e.rejected != nil:
			out.Rejected = append(out.Rejected, *e.rejected)
		case rejected[e.project] != nil:
			out.Rejected = append(out.Rejected, *rejected[e.project])
		default:
			out.Results = append(out.Results, results[e.project])
		}
	}
	return out
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
