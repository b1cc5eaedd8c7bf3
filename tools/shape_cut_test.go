package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const cutOrder = `{"id":"A-1","items":[{"sku":"a1","qty":1},{"sku":"a2","qty":2},{"sku":"a3","qty":3},{"sku":"a4","qty":4}],` +
	`"note":"please leave the parcel at the back door","total":4,"next":"c2"}`

// TestShapeCut pins the structural cut of JSON results.
func TestShapeCut(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		maxBytes int
		want     string
	}{
		{name: "array keeps its first items", body: `[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]`, maxBytes: 45,
			want: `[1,2,3,4,5,6,"…[truncated: 14 more items]"]`},
		{name: "array down to its marker", body: `["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","b"]`, maxBytes: 32,
			want: `["…[truncated: 2 more items]"]`},
		{name: "array down to one item", body: `["aaaa","bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"]`, maxBytes: 40,
			want: `["aaaa","…[truncated: 1 more item]"]`},
		{name: "top-level string keeps its type", body: `"a long string that goes on and on and on for a while"`, maxBytes: 45,
			want: `"a lon…[truncated: showing 5 of 52 bytes]"`},
		{name: "arrays shorten before fields drop", body: cutOrder, maxBytes: 150,
			want: `{"id":"A-1","items":[{"sku":"a1","qty":1},"…[truncated: 3 more items]"],"note":"please leave the parcel at the back door","total":4,"next":"c2"}`},
		{name: "then the last fields drop", body: cutOrder, maxBytes: 120,
			want: `{"id":"A-1","items":[{"sku":"a1","qty":1},"…[truncated: 3 more items]"],"_truncated":"3 more fields"}`},
		{name: "fields drop until the first fits", body: cutOrder, maxBytes: 50,
			want: `{"id":"A-1","_truncated":"4 more fields"}`},
		{name: "only the marker", body: cutOrder, maxBytes: 40,
			want: `{"_truncated":"5 more fields"}`},
		{name: "long string in an object is shortened, not dropped", body: `{"title":"Report","content":"` + strings.Repeat("x", 200) + `","pages":3}`, maxBytes: 100,
			want: `{"title":"Report","content":"xxxxxxxxxxxxxxxxxxx…[truncated: showing 19 of 200 bytes]","pages":3}`},
		{name: "nested arrays shorten deepest data last-first", body: `{"a":[[1,2,3,4,5,6,7,8,9],[10,11,12,13,14,15,16,17,18,19]]}`, maxBytes: 58,
			want: `{"a":[[1,2,3,4,5,6,7,8,9],"…[truncated: 1 more item]"]}`},
		{name: "marker member name taken", body: `{"_truncated":true,"x":"` + strings.Repeat("y", 80) + `","z":[1,2,3,4,5,6,7,8,9,10]}`, maxBytes: 60,
			want: `{"_truncated":true,"_truncated_":"2 more fields"}`},
		{name: "select result cut", body: `{"order":{"items":[{"id":1},{"id":2},{"id":3},{"id":4},{"id":5}]}}`, maxBytes: 60,
			want: `{"order.items":[{"id":1},"…[truncated: 4 more items]"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg *ResponseConfig
			if strings.HasPrefix(tt.name, "select") {
				cfg = &ResponseConfig{Select: []string{"order.items"}}
			}
			got, truncated := Shape([]byte(tt.body), "application/json", cfg, tt.maxBytes)
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("Shape mismatch (-want +got):\n%s", diff)
			}
			if !truncated {
				t.Error("truncated = false, want true")
			}
			if len(got) > tt.maxBytes {
				t.Errorf("%d bytes, want at most %d", len(got), tt.maxBytes)
			}
			full, _ := Shape([]byte(tt.body), "", cfg, 1<<30)
			checkTruncated(t, got, full, tt.maxBytes)
		})
	}
}

// TestShapeCutEveryBudget cuts documents of every shape at every budget and
// checks each result against the rule (checkTruncated, checkCut).
func TestShapeCutEveryBudget(t *testing.T) {
	docs := []string{
		cutOrder,
		`[{"a":[1,2,{"b":"ccccccccccccccccccccccc\u00e9\n"}]},[[[]]],{},"x\"y",null,true,-1.5e3]`,
		`{"data":[` + strings.Repeat(`{"id":"ab\u2028","tags":["x","y"],"n":12},`, 30) + `{"id":"last"}],"cursor":"zzz","more":true}`,
		`"` + strings.Repeat(`é\"<>`, 60) + `"`,
		`{"a":{"b":{"c":{"d":{"e":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]}}}},"f":"` + strings.Repeat("g", 70) + `"}`,
	}
	for i, doc := range docs {
		full, _ := Shape([]byte(doc), "", nil, 1<<30)
		for maxBytes := 2; maxBytes < len(full); maxBytes++ {
			got, truncated := Shape([]byte(doc), "", nil, maxBytes)
			if !truncated {
				t.Fatalf("doc %d, max %d: not truncated", i, maxBytes)
			}
			checkTruncated(t, got, full, maxBytes)
		}
	}
}

// jsonKind is the first byte of a JSON document's value: '{', '[', '"', or
// 0 for the others.
func jsonKind(doc []byte) byte {
	doc = bytes.TrimSpace(doc)
	if len(doc) > 0 && (doc[0] == '{' || doc[0] == '[' || doc[0] == '"') {
		return doc[0]
	}
	return 0
}

// member is one member of a decoded object, in order.
type member struct {
	Key   string
	Value any
}

// decodeOrdered decodes JSON keeping the order of object members (as
// []member) and numbers as json.Number.
func decodeOrdered(t *testing.T, doc []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		t.Fatalf("decoding %s: %v", doc, err)
	}
	return v
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('['):
		items := []any{}
		for dec.More() {
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			items = append(items, v)
		}
		_, err := dec.Token()
		return items, err
	case json.Delim('{'):
		members := []member{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			members = append(members, member{k.(string), v})
		}
		_, err := dec.Token()
		return members, err
	}
	return tok, nil
}

var (
	moreItemsRe  = regexp.MustCompile(`^…\[truncated: (\d+) more items?\]$`)
	moreFieldsRe = regexp.MustCompile(`^(\d+) more fields?$`)
	stringCutRe  = regexp.MustCompile(`(?s)^(.*)…\[truncated: showing (\d+) of (\d+) bytes\]$`)
)

// checkCut reports whether cut is a structural cut of full: the same type;
// an array keeps full's first items (the last one kept may itself be cut)
// and, when it lost items, ends with a marker counting them; an object
// keeps full's first members in order (the last one kept may be cut) and,
// when it lost members, ends with a "_truncated" member counting them; a
// string is full's text or a prefix of it with the marker.
func checkCut(cut, full any) error {
	switch f := full.(type) {
	case string:
		c, ok := cut.(string)
		if !ok {
			return fmt.Errorf("string became %T", cut)
		}
		if c == f {
			return nil
		}
		m := stringCutRe.FindStringSubmatch(c)
		if m == nil {
			return fmt.Errorf("cut string %q lacks the marker", c)
		}
		shown, _ := strconv.Atoi(m[2])
		total, _ := strconv.Atoi(m[3])
		if !strings.HasPrefix(f, m[1]) || shown != len(m[1]) || total != len(f) {
			return fmt.Errorf("cut string %q is not a prefix of %q with its length", c, f)
		}
		return nil
	case []any:
		c, ok := cut.([]any)
		if !ok {
			return fmt.Errorf("array became %T", cut)
		}
		kept := len(c)
		if len(c) > 0 {
			if s, ok := c[len(c)-1].(string); ok {
				if m := moreItemsRe.FindStringSubmatch(s); m != nil && (len(c) < len(f) || !moreItemsRe.MatchString(fmt.Sprint(f[len(c)-1]))) {
					kept--
					if n, _ := strconv.Atoi(m[1]); n != len(f)-kept {
						return fmt.Errorf("marker says %d more items, %d were dropped", n, len(f)-kept)
					}
				}
			}
		}
		if kept > len(f) || kept < len(f) && kept == len(c) {
			return fmt.Errorf("array of %d items cut to %d without a marker", len(f), len(c))
		}
		for i := range kept {
			if i < kept-1 && !cmp.Equal(c[i], f[i]) {
				return fmt.Errorf("item %d changed though a later one was kept", i)
			}
			if err := checkCut(c[i], f[i]); err != nil {
				return fmt.Errorf("item %d: %w", i, err)
			}
		}
		return nil
	case []member:
		c, ok := cut.([]member)
		if !ok {
			return fmt.Errorf("object became %T", cut)
		}
		kept := len(c)
		if kept > 0 && len(c) <= len(f) && strings.HasPrefix(c[kept-1].Key, TruncatedMember) && (kept > len(f) || c[kept-1].Key != f[kept-1].Key) {
			kept--
			s, _ := c[kept].Value.(string)
			m := moreFieldsRe.FindStringSubmatch(s)
			if m == nil {
				return fmt.Errorf("marker member %q", s)
			}
			if n, _ := strconv.Atoi(m[1]); n != len(f)-kept {
				return fmt.Errorf("marker says %d more fields, %d were dropped", n, len(f)-kept)
			}
		} else if len(c) != len(f) {
			return fmt.Errorf("object of %d members cut to %d without a marker", len(f), len(c))
		}
		for i := range kept {
			if c[i].Key != f[i].Key {
				return fmt.Errorf("member %d is %q, want %q", i, c[i].Key, f[i].Key)
			}
			if err := checkCut(c[i].Value, f[i].Value); err != nil {
				return fmt.Errorf("member %s: %w", c[i].Key, err)
			}
		}
		return nil
	}
	if !cmp.Equal(cut, full) {
		return fmt.Errorf("%v became %v", full, cut)
	}
	return nil
}
