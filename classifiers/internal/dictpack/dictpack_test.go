package dictpack

import (
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/ikawaha/kagome-dict/dict"
	"github.com/ikawaha/kagome-dict/ipa"
	"github.com/ikawaha/kagome/v2/tokenizer"
	"github.com/klauspost/compress/zstd"
)

var packed = sync.OnceValues(func() ([]byte, error) { return Encode(ipa.DictShrink()) })

func pack(t testing.TB) []byte {
	t.Helper()
	b, err := packed()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	want := ipa.DictShrink()
	got, err := Decode(pack(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := Diff(got, want); diff != nil {
		t.Errorf("a round trip changed the %s", strings.Join(diff, ", "))
	}
	if got.Contents != nil {
		t.Error("a pack carries no contents")
	}
}

func TestTokenizesAlike(t *testing.T) {
	d, err := Decode(pack(t))
	if err != nil {
		t.Fatal(err)
	}
	want, err := tokenizer.New(ipa.DictShrink(), tokenizer.OmitBosEos())
	if err != nil {
		t.Fatal(err)
	}
	got, err := tokenizer.New(d, tokenizer.OmitBosEos())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"すもももももももものうち",
		"簡単なお仕事です、日払いで5万円。ﾃﾚｸﾞﾗﾑで連絡ください",
		"🥦あります 手押し 渋谷 即日",
		"ＡＢＣ１２３とabc、そして未知語ほげほげぴよ",
		"",
	} {
		g, w := got.Tokenize(s), want.Tokenize(s)
		if len(g) != len(w) {
			t.Errorf("%q: %d tokens, want %d", s, len(g), len(w))
			continue
		}
		for i := range g {
			if g[i].Surface != w[i].Surface || g[i].ID != w[i].ID || g[i].Class != w[i].Class ||
				!reflect.DeepEqual(g[i].POS(), w[i].POS()) {
				t.Errorf("%q: token %d is %q %v, want %q %v", s, i, g[i].Surface, g[i].POS(), w[i].Surface, w[i].POS())
			}
		}
	}
}

func TestCorrupt(t *testing.T) {
	b := pack(t)
	if _, err := Decode(b[:len(b)/2]); err == nil {
		t.Error("half a pack decoded")
	}
	if _, err := Decode([]byte("PK\x03\x04 not a pack")); err == nil {
		t.Error("a zip decoded as a pack")
	}
	// A well-compressed stream whose contents stop early, and one with
	// bytes to spare: errors, not panics.
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := dec.DecodeAll(b[len(magic):], nil)
	dec.Close()
	if err != nil {
		t.Fatal(err)
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	for _, cut := range []int{0, 3, 100, 1 << 16} {
		if _, err := Decode(enc.EncodeAll(raw[:cut], []byte(magic))); err == nil {
			t.Errorf("a pack cut at %d of %d bytes decoded", cut, len(raw))
		}
	}
	if _, err := Decode(enc.EncodeAll(append(raw, 0), []byte(magic))); err == nil {
		t.Error("a pack with a byte to spare decoded")
	}
}

// BenchmarkDecode and BenchmarkKagomeLoad compare the two ways to load the
// dictionary the classifier runs on.
func BenchmarkDecode(b *testing.B) {
	p := pack(b)
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		if _, err := Decode(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKagomeLoad(b *testing.B) {
	path := ipaPath(b)
	for b.Loop() {
		if _, err := dict.LoadShrink(path); err != nil {
			b.Fatal(err)
		}
	}
}

// ipaPath finds the IPA dictionary kagome embeds, in the module cache.
func ipaPath(b *testing.B) string {
	b.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/ikawaha/kagome-dict/ipa").Output()
	if err != nil {
		b.Skipf("cannot find the IPA dictionary's module: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "ipa.dict")
}
