package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"jixiao"
	"jixiao/engine"
)

func (s *Server) listScores(c *gin.Context) {
	p, err := readPage(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f, err := readScoreFilter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	f.Offset, f.Limit = p.offset(), p.PerPage
	scores, total, err := s.store.FindScores(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newList(scores, total, p))
}

// readScoreFilter reads ?run, ?project_id, ?year, ?department, ?grade
// and ?ruleset.
func readScoreFilter(c *gin.Context) (jixiao.ScoreFilter, error) {
	year, err := queryInt(c, "year")
	if err != nil {
		return jixiao.ScoreFilter{}, err
	}
	runID, err := queryInt(c, "run")
	if err != nil {
		return jixiao.ScoreFilter{}, err
	}
	return jixiao.ScoreFilter{RunID: int64(runID), ProjectID: c.Query("project_id"), Year: year, Department: c.Query("department"),
		Grade: c.Query("grade"), RuleSetID: c.Query("ruleset")}, nil
}

func (s *Server) findScore(c *gin.Context) (*jixiao.ScoreRecord, bool) {
	id, err := pathInt64(c, "score")
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	rec, err := s.store.FindScore(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return rec, true
}

func (s *Server) getScore(c *gin.Context) {
	if rec, ok := s.findScore(c); ok {
		c.JSON(http.StatusOK, rec)
	}
}

// verifyScore re-scores the stored input with the stored rule body and
// says whether the result is identical to the stored one.
func (s *Server) verifyScore(c *gin.Context) {
	rec, ok := s.findScore(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	input, err := s.store.FindInput(ctx, rec.InputHash)
	if err != nil {
		s.fail(c, err)
		return
	}
	version, err := s.store.FindRuleSetVersion(ctx, rec.RuleSetHash)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := gin.H{"score_id": rec.ID, "input_hash": rec.InputHash, "ruleset_hash": rec.RuleSetHash,
		"engine_version": rec.EngineVersion, "current_engine_version": engine.Version}
	rs, err := engine.LoadVersion(version)
	if err != nil {
		out["identical"] = false
		out["reason"] = err.Error()
		c.JSON(http.StatusOK, out)
		return
	}
	// A score made by another engine version is not expected to match:
	// say so, and show the current engine's result beside the stored one.
	older := ""
	if rec.EngineVersion != engine.Version {
		older = fmt.Sprintf("made by engine version %s; the current engine is version %s", rec.EngineVersion, engine.Version)
	}
	res, rej := rs.NewScorer().Score(input)
	if rej != nil {
		out["identical"] = false
		out["reason"] = "the stored input is now rejected"
		if older != "" {
			out["reason"] = older + ", which rejects the stored input"
		}
		out["errors"] = rej.Errors
		c.JSON(http.StatusOK, out)
		return
	}
	stored, _ := json.Marshal(rec.Result)
	again, _ := json.Marshal(res)
	identical := bytes.Equal(stored, again)
	out["identical"] = identical
	out["total"] = res.Total
	out["grade"] = res.Grade
	switch {
	case older != "":
		out["reason"] = older + "; its result is under rescored"
		out["rescored"] = res
	case !identical:
		out["reason"] = "re-scoring gives a different result"
		out["rescored"] = res
	}
	c.JSON(http.StatusOK, out)
}
