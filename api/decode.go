package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"jixiao"
)

// readBody reads the request body, refusing other content types than
// want and bodies over the limit.
func readBody(c *gin.Context, want ...string) ([]byte, error) {
	ct := c.GetHeader("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || !contains(want, mt) {
		return nil, jixiao.Errorf(jixiao.EUNSUPPORTED, "Content-Type must be %s, got %q", want[0], ct)
	}
	data, err := io.ReadAll(c.Request.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, jixiao.Errorf(jixiao.ETOOLARGE, "request body is over the %d-byte limit", tooBig.Limit)
	} else if err != nil {
		return nil, jixiao.Errorf(jixiao.EMALFORMED, "reading the request body: %v", err)
	}
	return data, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// decodeJSON decodes a JSON request body strictly into v.
func decodeJSON(c *gin.Context, v any) error {
	data, err := readBody(c, "application/json")
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(data, err)
	}
	if dec.More() {
		return jixiao.Errorf(jixiao.EMALFORMED, "unexpected data after the JSON document")
	}
	return nil
}

// jsonError explains a decoding error with the field it concerns.
func jsonError(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line := 1 + bytes.Count(data[:min(int(syn.Offset), len(data))], []byte("\n"))
		return jixiao.Errorf(jixiao.EMALFORMED, "malformed JSON at line %d: %v", line, syn)
	case errors.As(err, &typ):
		e := jixiao.Errorf(jixiao.EMALFORMED, "field %s must be %s, got %s", typ.Field, typ.Type, typ.Value)
		e.Details = []jixiao.FieldError{{Field: typ.Field, Message: fmt.Sprintf("must be %s, got %s", typ.Type, typ.Value)}}
		return e
	case errors.Is(err, io.EOF):
		return jixiao.Errorf(jixiao.EMALFORMED, "the request body is empty")
	}
	msg := err.Error()
	if name, ok := cutPrefix(msg, "json: unknown field "); ok {
		e := jixiao.Errorf(jixiao.EMALFORMED, "unknown field %s", name)
		e.Details = []jixiao.FieldError{{Field: trimQuotes(name), Message: "unknown field"}}
		return e
	}
	return jixiao.Errorf(jixiao.EMALFORMED, "malformed JSON: %v", err)
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return s, false
}

func trimQuotes(s string) string {
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s
}

// page reads ?page= and ?per_page= (1-based, at most 1000 a page).
type page struct{ Page, PerPage int }

func readPage(c *gin.Context) (page, error) {
	p := page{Page: 1, PerPage: 50}
	for name, dst := range map[string]*int{"page": &p.Page, "per_page": &p.PerPage} {
		if v := c.Query(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return p, invalidField(name, "must be a whole number ≥ 1, got %q", v)
			}
			*dst = n
		}
	}
	if p.PerPage > 1000 {
		return p, invalidField("per_page", "must be at most 1000, got %d", p.PerPage)
	}
	return p, nil
}

func (p page) offset() int { return (p.Page - 1) * p.PerPage }

// listResponse is the shape of every paginated list.
type listResponse[T any] struct {
	Items   []T `json:"items"`
	Total   int `json:"total"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
}

func newList[T any](items []T, total int, p page) listResponse[T] {
	if items == nil {
		items = []T{}
	}
	return listResponse[T]{Items: items, Total: total, Page: p.Page, PerPage: p.PerPage}
}

func invalidField(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	e := jixiao.Errorf(jixiao.EINVALID, "%s: %s", field, msg)
	e.Details = []jixiao.FieldError{{Field: field, Message: msg}}
	return e
}

func queryInt(c *gin.Context, name string) (int, error) {
	v := c.Query(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, invalidField(name, "must be a whole number, got %q", v)
	}
	return n, nil
}

func pathInt64(c *gin.Context, name string) (int64, error) {
	n, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || n < 1 {
		return 0, jixiao.Errorf(jixiao.ENOTFOUND, "no %s %q", name, c.Param(name))
	}
	return n, nil
}
