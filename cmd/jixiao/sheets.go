package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"jixiao"
	"jixiao/engine"
	"jixiao/spreadsheet"
	"jixiao/storage"
)

func runTemplate(ctx context.Context, s *streams, args []string) int {
	fs := newFlagSet(s, "template", "jixiao template [-o jixiao-template.xlsx]",
		"", "Writes the Excel template for importing projects (sheets 项目, 绩效指标, 填写说明).")
	out := fs.String("o", "jixiao-template.xlsx", "output `file` (- for standard output)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return flagStatus(err)
	}
	if len(pos) > 0 {
		return usageError(fs, "template takes no arguments")
	}
	var buf bytes.Buffer
	if err := spreadsheet.WriteTemplate(&buf); err != nil {
		s.log.Error("writing the template", "err", err)
		return exitUsage
	}
	return writeOutput(s, *out, buf.Bytes())
}

func writeOutput(s *streams, name string, data []byte) int {
	if name == "-" {
		_, _ = s.stdout.Write(data)
		return exitOK
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		s.log.Error("writing output", "file", name, "err", err)
		return exitUsage
	}
	fmt.Fprintf(s.stderr, "wrote %s\n", name)
	return exitOK
}

func runImport(ctx context.Context, s *streams, args []string) int {
	fs := newFlagSet(s, "import", "jixiao import [--db jixiao.db] [--partial] [--marked OUT.xlsx] FILE",
		"", "Imports projects from an .xlsx workbook (the template's layout), a CSV file or the JSON format.",
		"Nothing is imported unless every row is valid; --partial imports the valid projects.")
	db := fs.String("db", defaultDB(), dbUsage)
	partial := fs.Bool("partial", false, "import the valid projects and list the others")
	marked := fs.String("marked", "", "write a copy of the workbook with the problem cells marked to this `file`")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return flagStatus(err)
	}
	if len(pos) != 1 {
		return usageError(fs, "name one FILE to import")
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		s.log.Error("cannot read", "file", pos[0], "err", err)
		return exitUsage
	}
	imp, err := spreadsheet.Read(bytes.NewReader(data), filepath.Base(pos[0]), spreadsheet.DefaultLimits())
	if err != nil {
		s.log.Error("cannot import", "file", pos[0], "err", jixiao.ErrorMessage(err))
		return exitUsage
	}
	if len(imp.Problems) > 0 {
		// Aligned by display width: a Chinese character takes two columns.
		t := table{cond: widths()}
		t.add(left("工作表"), right("行"), left("列"), left("项目"), left("问题"))
		for _, p := range imp.Problems {
			t.row()
			t.add(left(p.Sheet), right(strconv.Itoa(p.Row)), left(p.Column), left(p.Project), left(p.Message))
		}
		t.write(s.stderr)
		if *marked != "" {
			var buf bytes.Buffer
			if err := spreadsheet.MarkWorkbook(&buf, data, filepath.Base(pos[0]), imp.Problems, imp.MoreProblems); err != nil {
				s.log.Error("marking the workbook", "err", err)
			} else if code := writeOutput(s, *marked, buf.Bytes()); code != exitOK {
				return code
			}
		}
		if !*partial {
			if imp.MoreProblems > 0 {
				fmt.Fprintf(s.stderr, "%d more problem(s) not listed\n", imp.MoreProblems)
			}
			fmt.Fprintf(s.stderr, "%d problem(s): nothing was imported (use --partial to import the valid projects)\n", len(imp.Problems)+imp.MoreProblems)
			return exitRejected
		}
	}
	if len(imp.Projects) == 0 {
		fmt.Fprintln(s.stderr, "no valid projects to import")
		return exitRejected
	}
	store, err := storage.Open(ctx, *db)
	if err != nil {
		s.log.Error("opening the database", "db", storage.DisplayName(*db), "err", err)
		return exitUsage
	}
	defer store.Close()
	counts, err := store.UpsertProjects(ctx, imp.Projects)
	if err != nil {
		s.log.Error("import failed; nothing was stored", "err", jixiao.ErrorMessage(err))
		return exitUsage
	}
	_ = store.AddAudit(ctx, jixiao.AuditEntry{At: nowUTC(), Actor: "command line", Action: "projects.import", Subject: filepath.Base(pos[0]),
		Detail: []byte(fmt.Sprintf(`{"format":%q,"created":%d,"updated":%d,"unchanged":%d}`, imp.Format, counts.Created, counts.Updated, counts.Unchanged))})
	fmt.Fprintf(s.stdout, "imported %d project(s) from %s: %d new, %d updated, %d unchanged\n",
		len(imp.Projects), pos[0], counts.Created, counts.Updated, counts.Unchanged)
	if len(imp.Invalid) > 0 {
		fmt.Fprintf(s.stdout, "not imported: %v\n", imp.Invalid)
		return exitRejected
	}
	return exitOK
}

func runExport(ctx context.Context, s *streams, args []string) int {
	fs := newFlagSet(s, "export", "jixiao export form --year YEAR --id ID [-o FILE] [--db jixiao.db]",
		"jixiao export summary [--run N | --year YEAR] [--department D] [--grade G] [-o FILE] [--db jixiao.db]",
		"", "Writes a project's 项目支出绩效自评表, or the summary workbook of stored official scores.")
	db := fs.String("db", defaultDB(), dbUsage)
	out := fs.String("o", "", "output `file` (default: a name from the project or run)")
	year := fs.Int("year", 0, "fiscal year")
	id := fs.String("id", "", "project id (form)")
	run := fs.Int64("run", 0, "evaluation run (summary)")
	dept := fs.String("department", "", "department filter (summary)")
	grade := fs.String("grade", "", "grade filter (summary)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return flagStatus(err)
	}
	if len(pos) != 1 || (pos[0] != "form" && pos[0] != "summary") {
		return usageError(fs, "export form or export summary")
	}
	store, err := storage.Open(ctx, *db)
	if err != nil {
		s.log.Error("opening the database", "db", storage.DisplayName(*db), "err", err)
		return exitUsage
	}
	defer store.Close()
	var buf bytes.Buffer
	name := *out
	switch pos[0] {
	case "form":
		if *year == 0 || *id == "" {
			return usageError(fs, "export form needs --year and --id")
		}
		sp, err := store.FindProject(ctx, *year, *id)
		if err != nil {
			s.log.Error("export", "err", jixiao.ErrorMessage(err))
			return exitUsage
		}
		rec, err := store.LatestScore(ctx, sp.Key)
		if err != nil {
			s.log.Error("export: the project has no official score yet", "err", jixiao.ErrorMessage(err))
			return exitUsage
		}
		input, err := spreadsheet.WriteStoredForm(ctx, &buf, store, rec, *year, storedVersionScorer(store))
		if err != nil {
			s.log.Error("export", "err", jixiao.ErrorMessage(err))
			return exitUsage
		}
		if name == "" {
			name = fmt.Sprintf("%s-自评表.xlsx", input.ID)
		}
	case "summary":
		f := jixiao.ScoreFilter{RunID: *run, Year: *year, Department: *dept, Grade: *grade, Limit: 1000}
		page, total, err := store.FindScores(ctx, f)
		if err != nil || total == 0 {
			s.log.Error("export: no scores match", "err", err)
			return exitUsage
		}
		if err := spreadsheet.WriteScoreSummary(ctx, &buf, "绩效评分汇总", store, f, page); err != nil {
			s.log.Error("export", "err", err)
			return exitUsage
		}
		if name == "" {
			name = "jixiao-评分汇总.xlsx"
		}
	}
	return writeOutput(s, name, buf.Bytes())
}

func nowUTC() time.Time { return time.Now().UTC() }

// storedVersionScorer scores with a rule-set version stored in the
// database, as the service does for a 自评表's self-score.
func storedVersionScorer(store jixiao.Store) spreadsheet.VersionScorer {
	return func(ctx context.Context, hash string, p *jixiao.Project) (*jixiao.Result, error) {
		v, err := store.FindRuleSetVersion(ctx, hash)
		if err != nil {
			return nil, err
		}
		rs, err := engine.LoadVersion(v)
		if err != nil {
			return nil, err
		}
		return rs.ScoreOne(p)
	}
}
