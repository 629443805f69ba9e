package classifiers

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// benchTexts is a mixed set of corpus texts: every category and style,
// short posts and long notices.
func benchTexts(tb testing.TB) []string {
	tb.Helper()
	f, err := os.Open(filepath.Join(corpusDir, "test.jsonl"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	items, err := ReadItems(f)
	if err != nil {
		tb.Fatal(err)
	}
	texts := make([]string, len(items))
	for i, it := range items {
		texts[i] = it.Text
	}
	return texts
}

// BenchmarkClassify classifies the test split's texts one after another
// (ns/op is per text; SetBytes makes MB/s the throughput in UTF-8).
func BenchmarkClassify(b *testing.B) { benchClassify(b, benchTexts(b)) }

// benchClassify classifies texts one after another, reporting the mean
// text's size as bytes per op.
func benchClassify(b *testing.B, texts []string) {
	c := newClassifier(b, Options{})
	n := 0
	for _, t := range texts {
		n += len(t)
	}
	b.SetBytes(int64(n / len(texts)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Classify(texts[i%len(texts)])
		i++
	}
}

// BenchmarkClassifyWhitepaper classifies the lines of the benchmark text
// that classifiers/bench/compare-mecab.sh times against MeCab (long
// official prose; ../shared/bench beside the repository, skipped without
// it).
func BenchmarkClassifyWhitepaper(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "shared", "bench", "whitepaper-2025-ch3.txt"))
	if err != nil {
		b.Skipf("no benchmark text: %v", err)
	}
	var lines []string
	for l := range strings.Lines(string(raw)) {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	benchClassify(b, lines)
}

// BenchmarkClassifyParallel classifies from GOMAXPROCS goroutines sharing
// one Classifier, as the pipeline does.
func BenchmarkClassifyParallel(b *testing.B) {
	c := newClassifier(b, Options{})
	texts := benchTexts(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			c.Classify(texts[i%len(texts)])
			i++
		}
	})
}

// procStatus returns a field of /proc/self/status in kB, or -1.
func procStatus(field string) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// TestMemory measures, in a fresh process, the memory of a classifier:
// the Go heap after New and the resident set (now and at its peak) after
// New and after classifying every test text. It fails if the peak
// resident set exceeds the 150 MB.
func TestMemory(t *testing.T) {
	if os.Getenv("HOTLINE_MEMORY_CHILD") == "" {
		if testing.Short() {
			t.Skip("starts a process that loads the dictionary")
		}
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		out, err := runChild(exe, "-test.run=^TestMemory$", "-test.v")
		t.Logf("child process:\n%s", out)
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	if procStatus("VmRSS") < 0 {
		t.Skip("no /proc/self/status")
	}
	c := newClassifier(t, Options{})
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("after New: heap %d MB, VmRSS %d MB, VmHWM %d MB", ms.HeapAlloc>>20, procStatus("VmRSS")>>10, procStatus("VmHWM")>>10)
	for _, text := range benchTexts(t) {
		c.Classify(text)
	}
	runtime.GC()
	debug.FreeOSMemory()
	runtime.ReadMemStats(&ms)
	hwm := procStatus("VmHWM")
	t.Logf("after classifying: heap %d MB, VmRSS %d MB, VmHWM %d MB", ms.HeapAlloc>>20, procStatus("VmRSS")>>10, hwm>>10)
	if raceEnabled {
		t.Log("race detector on: its shadow memory inflates the resident set; not checked")
	} else if hwm > 150<<10 {
		t.Errorf("peak resident set %d MB, over 150 MB", hwm>>10)
	}
}

// runChild runs the test binary again with args and
// HOTLINE_MEMORY_CHILD set, and returns its combined output.
func runChild(exe string, args ...string) (string, error) {
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "HOTLINE_MEMORY_CHILD=1")
	out, err := cmd.CombinedOutput()
	return string(out), err
}
