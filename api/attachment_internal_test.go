package api

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// A download's name never carries a control byte into the header.
func TestAttachmentName(t *testing.T) {
	for name, want := range map[string]string{
		"HH2024-01 自评表.xlsx":   `attachment; filename="HH2024-01 ___.xlsx"; filename*=UTF-8''HH2024-01%20%E8%87%AA%E8%AF%84%E8%A1%A8.xlsx`,
		"a\x00b\r\nc\x7f.xlsx": `attachment; filename="a_b__c_.xlsx"; filename*=UTF-8''a%00b%0D%0Ac%7F.xlsx`,
		`quote"back\.xlsx`:     `attachment; filename="quote_back_.xlsx"; filename*=UTF-8''quote%22back%5C.xlsx`,
	} {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		attachment(c, xlsxType, name)
		got := c.Writer.Header().Get("Content-Disposition")
		if got != want {
			t.Errorf("%q: %s, want %s", name, got, want)
		}
		if strings.ContainsFunc(got, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Errorf("%q: a control byte in %q", name, got)
		}
	}
}
