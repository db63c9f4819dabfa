package api

import (
	"encoding/json"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"
)

// appender is a response value that encodes itself, as encoding/json
// would but without reflection (payments.View and the pages of them).
type appender interface {
	AppendJSON([]byte) ([]byte, error)
}

// marshal encodes v for a response body.
func marshal(b []byte, v any) ([]byte, error) {
	if a, ok := v.(appender); ok {
		return a.AppendJSON(b)
	}
	j, err := json.Marshal(v)
	return append(b, j...), err
}

// bodies recycles response buffers; a buffer that grew past maxPooled (a
// very long list) is left to the GC rather than kept.
var bodies = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

const maxPooled = 1 << 20

// serializer is echo's c.JSON: the body is encoded whole first and written
// with its Content-Length in one Write, rather than streamed through a
// chunked encoder (a list page is several write calls that way).
type serializer struct{ echo.DefaultJSONSerializer }

func (serializer) Serialize(c echo.Context, v any, indent string) error {
	bp := bodies.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooled {
			bodies.Put(bp)
		}
	}()
	var err error
	if indent != "" { // ?pretty
		var j []byte
		j, err = json.MarshalIndent(v, "", indent)
		*bp = append((*bp)[:0], j...)
	} else {
		*bp, err = marshal((*bp)[:0], v)
	}
	if err != nil {
		return err
	}
	*bp = append(*bp, '\n') // as json.Encoder ends a value
	return writeBody(c, *bp)
}

// writeBody writes a complete body with its length; the status and the
// Content-Type are already set.
func writeBody(c echo.Context, body []byte) error {
	res := c.Response()
	res.Header().Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	_, err := res.Write(body)
	return err
}

// jsonBlob is c.JSONBlob with a Content-Length.
func jsonBlob(c echo.Context, status int, body []byte) error {
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	res.Status = status
	return writeBody(c, body)
}
