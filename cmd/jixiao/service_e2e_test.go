package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Helpers for the tests that run "jixiao serve", in-process or as a
// subprocess, and talk to it over HTTP.

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// tail is the end of a log, for failure messages.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// servingLine is what serve prints once it listens.
var servingLine = regexp.MustCompile(`serving on http://(\S+)`)

// client talks to one running service.
type client struct {
	base string // http://host:port
	http *http.Client
	key  string // the API key sent, if any
}

func newClient(addr string) *client {
	return &client{
		base: "http://" + addr,
		http: &http.Client{
			Timeout:   2 * time.Minute,
			Transport: &http.Transport{MaxIdleConnsPerHost: 16},
		},
	}
}

// do sends a request with a JSON body (nil for none) and returns the
// status and the body.
func (c *client) do(method, path string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		switch b := body.(type) {
		case []byte:
			r = bytes.NewReader(b)
		default:
			data, err := json.Marshal(body)
			if err != nil {
				return 0, nil, err
			}
			r = bytes.NewReader(data)
		}
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// must sends a request, fails the test unless the status is want, and
// decodes the response into out (unless out is nil).
func (c *client) must(t testing.TB, method, path string, body any, want int, out any) {
	t.Helper()
	status, data, err := c.do(method, path, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, tail(string(data), 2000))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decoding the response: %v: %s", method, path, err, tail(string(data), 500))
		}
	}
}

// eventually polls cond every few milliseconds until it reports done, and
// fails the test after timeout with the last state cond described.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() (done bool, state string)) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	wait := 5 * time.Millisecond
	for {
		done, state := cond()
		if done {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v; last state: %s", what, timeout, state)
		}
		time.Sleep(wait)
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// inProcess is "jixiao serve" running in this test process.
type inProcess struct {
	*client
	stdout, stderr *syncBuffer
	cancel         context.CancelFunc
	exited         chan int
}

// startInProcess runs "jixiao serve --addr 127.0.0.1:0 args..." in-process
// and waits until it listens. Stop it with stop; cleanup stops it too.
func startInProcess(t *testing.T, args ...string) *inProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &inProcess{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, exited: make(chan int, 1)}
	argv := append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)
	go func() { s.exited <- run(ctx, argv, strings.NewReader(""), s.stdout, s.stderr) }()
	var addr string
	eventually(t, time.Minute, "serve listening", func() (bool, string) {
		select {
		case code := <-s.exited:
			s.exited <- code
			t.Fatalf("serve exited with %d before listening; stderr:\n%s", code, tail(s.stderr.String(), 4000))
		default:
		}
		if m := servingLine.FindStringSubmatch(s.stdout.String()); m != nil {
			addr = m[1]
			return true, ""
		}
		return false, "stdout: " + s.stdout.String()
	})
	s.client = newClient(addr)
	t.Cleanup(func() { s.stop(t) })
	s.waitReady(t, func() bool {
		select {
		case code := <-s.exited:
			s.exited <- code
			return true
		default:
			return false
		}
	}, s.stderr)
	return s
}

// waitReady waits until /readyz answers 200: the rule files (and the demo
// data, if asked for) are loaded in the background after the service
// listens. exited tells whether the service has stopped meanwhile.
func (c *client) waitReady(t *testing.T, exited func() bool, stderr *syncBuffer) {
	t.Helper()
	eventually(t, 2*time.Minute, "serve ready", func() (bool, string) {
		if exited() {
			t.Fatalf("serve exited before it was ready; stderr:\n%s", tail(stderr.String(), 4000))
		}
		status, body, err := c.do("GET", "/readyz", nil)
		return err == nil && status == http.StatusOK, fmt.Sprintf("/readyz: %d %s %v", status, body, err)
	})
}

// stop cancels the service's context, as SIGINT does, and returns its exit
// status.
func (s *inProcess) stop(t testing.TB) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.exited:
		s.exited <- code
		return code
	case <-time.After(time.Minute):
		t.Fatalf("serve did not stop within a minute; stderr:\n%s", tail(s.stderr.String(), 4000))
		return -1
	}
}

// buildJixiao builds the command into a temporary directory.
func buildJixiao(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "jixiao")
	goTool := "go"
	if p, err := exec.LookPath("go"); err == nil {
		goTool = p
	}
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// subprocess is "jixiao serve" running as a child process.
type subprocess struct {
	*client
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // from Wait, once done is closed
}

// startBinary runs "bin serve --addr 127.0.0.1:0 args..." and waits until
// it is ready. Cleanup kills it if it still runs.
func startBinary(t *testing.T, bin string, args ...string) *subprocess {
	t.Helper()
	p := startListening(t, bin, args...)
	p.waitReady(t, func() bool {
		select {
		case <-p.done:
			return true
		default:
			return false
		}
	}, p.stderr)
	return p
}

// startListening is startBinary without waiting for the service to be
// ready: it returns once it listens.
func startListening(t *testing.T, bin string, args ...string) *subprocess {
	t.Helper()
	p := &subprocess{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	p.cmd.Stderr = p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrs := make(chan string, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(p.stdout, line)
			if m := servingLine.FindStringSubmatch(line); m != nil {
				select {
				case addrs <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() {
		<-copied // Wait closes the pipe: read everything first
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	select {
	case addr := <-addrs:
		p.client = newClient(addr)
	case <-p.done:
		t.Fatalf("serve exited before listening (%v); stderr:\n%s", p.err, tail(p.stderr.String(), 4000))
	case <-time.After(2 * time.Minute):
		t.Fatalf("serve did not listen within 2 minutes; stderr:\n%s", tail(p.stderr.String(), 4000))
	}
	return p
}

// signal sends sig to the process.
func (p *subprocess) signal(t testing.TB, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("sending %v: %v", sig, err)
	}
}

// wait waits for the process to exit and returns its exit status (-1 when
// it was killed by a signal).
func (p *subprocess) wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("serve did not exit within %v; stderr:\n%s", timeout, tail(p.stderr.String(), 4000))
	}
	return p.cmd.ProcessState.ExitCode()
}

// requestInFlight sends the head of a POST of a JSON body of n bytes, and
// returns once the handler has begun to read the body (the server has
// answered 100 Continue) and waits for it. The caller sends the body on
// conn and reads the answer from replies.
func requestInFlight(t testing.TB, c *client, path string, n int) (conn net.Conn, replies *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(c.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	// The Host a client of this address sends: a server without keys
	// answers loopback hosts only.
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n",
		path, strings.TrimPrefix(c.base, "http://"), n)
	replies = bufio.NewReader(conn)
	resp, err := http.ReadResponse(replies, nil)
	if err != nil {
		t.Fatalf("waiting for 100 Continue: %v", err)
	}
	if resp.StatusCode != http.StatusContinue {
		t.Fatalf("waiting for 100 Continue: got %s", resp.Status)
	}
	return conn, replies
}

// generatedProjects returns a project document of n generated projects of
// 2024, numbered from first, with varied funds and targets. All of them
// can be scored.
func generatedProjects(first, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"projects":[`)
	for i := first; i < first+n; i++ {
		if i > first {
			b.WriteByte(',')
		}
		budget := 10000 + (i*7919)%990000
		spent := budget - (i*104729)%(budget/5+1)
		target := 10 + i%90
		actual := target - i%13
		rating := [...]string{"达成", "部分达成", "未达成"}[i%3]
		fmt.Fprintf(&b, `{"id":"GEN-%06d","name":"生成项目%d","department":"部门%02d","year":2024,`+
			`"budget_adjusted":%d,"spent":%d.%02d,"indicators":[`+
			`{"level1":"产出指标","level2":"数量指标","name":"数量","direction":">=","target":%d,"actual":%d},`+
			`{"level1":"效益指标","level2":"社会效益指标","name":"效益","direction":"qualitative","rating":"%s"},`+
			`{"level1":"满意度指标","level2":"服务对象满意度指标","name":"满意度","direction":">=","target":90,"actual":%d}]}`,
			i, i, i%37, budget, spent, i%100, target, actual, rating, 80+i%20)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// runView is what GET /api/v1/evaluations/{id} answers.
type runView struct {
	ID          int64  `json:"id"`
	Status      string `json:"status"`
	RuleSetHash string `json:"ruleset_hash"`
	Total       int    `json:"total"`
	Scored      int    `json:"scored"`
	Rejected    int    `json:"rejected"`
	Error       string `json:"error"`
}

func (r runView) String() string {
	return fmt.Sprintf("run %d %s: %d scored, %d rejected of %d (%s)", r.ID, r.Status, r.Scored, r.Rejected, r.Total, r.Error)
}

// getRun reads a run through the API.
func (c *client) getRun(t testing.TB, id int64) runView {
	t.Helper()
	var r runView
	c.must(t, "GET", "/api/v1/evaluations/"+strconv.FormatInt(id, 10), nil, http.StatusOK, &r)
	return r
}

// listTotal is the total of a paginated list endpoint.
func (c *client) listTotal(t testing.TB, path string) int {
	t.Helper()
	var l struct {
		Total int `json:"total"`
	}
	c.must(t, "GET", path, nil, http.StatusOK, &l)
	return l.Total
}

// resultsTotal is how many scores a run links to, from its results.
func (c *client) resultsTotal(t testing.TB, id int64) int {
	t.Helper()
	var r struct {
		Results struct {
			Total int `json:"total"`
		} `json:"results"`
	}
	c.must(t, "GET", fmt.Sprintf("/api/v1/evaluations/%d/results?per_page=1", id), nil, http.StatusOK, &r)
	return r.Results.Total
}

// uploadProjects stores n generated projects in batches.
func (c *client) uploadProjects(t testing.TB, n, batch int) {
	t.Helper()
	for first := 0; first < n; first += batch {
		var up struct {
			Created int `json:"created"`
		}
		size := min(batch, n-first)
		c.must(t, "POST", "/api/v1/projects", generatedProjects(first, size), http.StatusOK, &up)
		if up.Created != size {
			t.Fatalf("batch at %d: %d projects created, want %d", first, up.Created, size)
		}
	}
}

// everyStatus selects projects at every review status: the tests' projects
// are the bureau's own data, never reviewed.
var everyStatus = []string{"draft", "submitted", "approved", "returned"}

// startEvaluation asks for an official evaluation in the background.
func (c *client) startEvaluation(t testing.TB, body any) runView {
	t.Helper()
	var resp struct {
		Run runView `json:"run"`
	}
	c.must(t, "POST", "/api/v1/evaluations", body, http.StatusAccepted, &resp)
	return resp.Run
}
