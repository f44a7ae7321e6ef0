// Package web is jixiao's browser interface: one HTML page, a few ES
// modules and a style sheet, embedded in the binary. The pages call only
// the public API under /api/v1, with the API key the user enters.
//
// The page is served at / and never cached without revalidation; the
// assets are served under /assets/<version>/, where version is a hash of
// every embedded file, so that browsers may keep them for a year.
package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"
)

//go:embed static
var static embed.FS

// contentTypes are the types of the embedded files, by extension; other
// files are not served.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// policy allows only what the pages use: their own scripts, styles and
// API, images drawn in the page, and downloads made from fetched blobs.
const policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

type site struct {
	version string
	index   []byte
	etag    string
	assets  map[string][]byte // by path below static/
}

// Mount adds the web interface to r: the page at / and its assets under
// /assets/.
func Mount(r *gin.Engine) {
	s := load()
	r.GET("/", s.serveIndex)
	r.HEAD("/", s.serveIndex)
	r.GET("/assets/:version/*file", s.serveAsset)
	r.HEAD("/assets/:version/*file", s.serveAsset)
}

func load() *site {
	s := &site{assets: map[string][]byte{}}
	var names []string
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	sort.Strings(names)
	h := sha256.New()
	for _, p := range names {
		data, err := static.ReadFile(p)
		if err != nil {
			panic(err)
		}
		h.Write([]byte(p))
		h.Write(data)
		s.assets[strings.TrimPrefix(p, "static/")] = data
	}
	s.version = hex.EncodeToString(h.Sum(nil))[:12]
	s.index = []byte(strings.ReplaceAll(string(s.assets["index.html"]), "{{version}}", s.version))
	s.etag = `"` + s.version + `"`
	return s
}

func securityHeaders(c *gin.Context) {
	c.Header("Content-Security-Policy", policy)
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Referrer-Policy", "no-referrer")
}

func (s *site) serveIndex(c *gin.Context) {
	securityHeaders(c)
	c.Header("Cache-Control", "no-cache")
	c.Header("ETag", s.etag)
	if match := c.GetHeader("If-None-Match"); match != "" && strings.Contains(match, s.etag) {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, contentTypes[".html"], s.index)
}

func (s *site) serveAsset(c *gin.Context) {
	name := strings.TrimPrefix(path.Clean(c.Param("file")), "/")
	data, ok := s.assets[name]
	ctype := contentTypes[path.Ext(name)]
	if !ok || ctype == "" || name == "index.html" {
		c.Data(http.StatusNotFound, "text/plain; charset=utf-8", []byte("404 page not found\n"))
		return
	}
	securityHeaders(c)
	if c.Param("version") == s.version {
		c.Header("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// A page from before an upgrade asks for the old version: it gets
		// the current file, which must not be kept under the old name.
		c.Header("Cache-Control", "no-cache")
	}
	c.Data(http.StatusOK, ctype, data)
}
