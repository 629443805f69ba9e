// Package dictpack stores a kagome dictionary without its contents in a
// flat little-endian form that loads in a few tens of milliseconds.
//
// kagome's own dictionary files are zipped parts read one integer at a time
// through binary.Read and gob: loading the IPA dictionary that way takes
// most of a second, longer than MeCab takes to tokenise a megabyte. A pack
// holds the same parts (morph costs, parts of speech, the double-array
// index, the connection matrix, character classes and the unknown-word
// dictionary) as length-prefixed arrays, compressed with zstd, and is
// decoded in one pass.
//
// A pack has no contents (base forms, readings): it is the dictionary the
// classifier runs on, not the one it is trained with.
package dictpack

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"

	"github.com/ikawaha/kagome-dict/dict"
	"github.com/klauspost/compress/zstd"
)

// magic starts every pack; the digit is the format version.
const magic = "hotline-dictpack1\n"

// Encode packs d, leaving out its contents.
func Encode(d *dict.Dict) ([]byte, error) {
	var w writer
	w.morphs(d.Morphs)
	w.u32(uint32(len(d.POSTable.NameList)))
	for _, s := range d.POSTable.NameList {
		w.str(s)
	}
	w.u32(uint32(len(d.POSTable.POSs)))
	var ids []uint16
	for _, p := range d.POSTable.POSs {
		if len(p) > math.MaxUint8 {
			return nil, fmt.Errorf("dictpack: a part of speech of %d levels", len(p))
		}
		w.buf = append(w.buf, byte(len(p)))
		for _, id := range p {
			ids = append(ids, uint16(id))
		}
	}
	w.u16s(ids)
	w.meta(d.ContentsMeta)
	w.u64(uint64(d.Connection.Row))
	w.u64(uint64(d.Connection.Col))
	w.i16s(d.Connection.Vec)
	da := make([]int32, 0, 2*len(d.Index.Da))
	for _, n := range d.Index.Da {
		da = append(da, n.Base, n.Check)
	}
	w.i32s(da)
	w.i32map(d.Index.Dup)
	w.u32(uint32(len(d.CharClass)))
	for _, s := range d.CharClass {
		w.str(s)
	}
	w.bytes(d.CharCategory)
	w.bools(d.InvokeList)
	w.bools(d.GroupList)
	w.morphs(d.UnkDict.Morphs)
	w.i32map(d.UnkDict.Index)
	w.i32map(d.UnkDict.IndexDup)
	w.meta(d.UnkDict.ContentsMeta)
	w.u32(uint32(len(d.UnkDict.Contents)))
	for _, row := range d.UnkDict.Contents {
		w.u32(uint32(len(row)))
		for _, s := range row {
			w.str(s)
		}
	}
	info := d.Info()
	if info == nil {
		info = &dict.Info{}
	}
	w.str(info.Name)
	w.str(info.Src)

	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, fmt.Errorf("dictpack: %w", err)
	}
	defer enc.Close()
	return enc.EncodeAll(w.buf, []byte(magic)), nil
}

// Decode unpacks a pack made by Encode. It streams: besides the dictionary
// it builds, it holds only the compressed pack, the zstd decoder's window
// and a 64 KB read buffer (BenchmarkDecode: about 40 MB allocated in all,
// against 89 MB for kagome's own loader).
func Decode(b []byte) (*dict.Dict, error) { return DecodeReader(bytes.NewReader(b)) }

// DecodeReader unpacks a pack made by Encode as it reads it from pr, so
// that an embedded pack is not copied first.
func DecodeReader(pr io.Reader) (*dict.Dict, error) {
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(pr, head); err != nil || string(head) != magic {
		return nil, errors.New("dictpack: not a dictionary pack (or of another version)")
	}
	dec, err := zstd.NewReader(pr, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxPack))
	if err != nil {
		return nil, fmt.Errorf("dictpack: %w", err)
	}
	defer dec.Close()
	r := &reader{r: bufio.NewReaderSize(dec, 1<<16)}
	d := &dict.Dict{}
	d.Morphs = r.morphs()
	names := make([]string, r.count(4))
	for i := range names {
		names[i] = r.str()
	}
	d.POSTable.NameList = names
	lens := make([]byte, r.count(1))
	r.read(lens)
	// One backing array for every part of speech, sliced per morph.
	all := make([]dict.POSID, r.count(2))
	r.array(len(all), 2, func(i int, b []byte) { all[i] = dict.POSID(binary.LittleEndian.Uint16(b)) })
	poss := make([]dict.POS, len(lens))
	off := 0
	for i, l := range lens {
		if off+int(l) > len(all) {
			r.fail(errCorrupt)
			break
		}
		poss[i] = all[off : off+int(l) : off+int(l)]
		off += int(l)
	}
	d.POSTable.POSs = poss
	d.ContentsMeta = r.meta()
	d.Connection.Row = int64(r.u64())
	d.Connection.Col = int64(r.u64())
	vec := make([]int16, r.count(2))
	r.array(len(vec), 2, func(i int, b []byte) { vec[i] = int16(binary.LittleEndian.Uint16(b)) })
	d.Connection.Vec = vec
	da := make([]struct{ Base, Check int32 }, r.count(4)/2)
	r.array(len(da), 8, func(i int, b []byte) {
		da[i].Base = int32(binary.LittleEndian.Uint32(b))
		da[i].Check = int32(binary.LittleEndian.Uint32(b[4:]))
	})
	d.Index.Da = da
	d.Index.Dup = r.i32map()
	classes := make([]string, r.count(4))
	for i := range classes {
		classes[i] = r.str()
	}
	d.CharClass = classes
	d.CharCategory = make([]byte, r.count(1))
	r.read(d.CharCategory)
	d.InvokeList = r.bools()
	d.GroupList = r.bools()
	d.UnkDict.Morphs = r.morphs()
	d.UnkDict.Index = r.i32map()
	d.UnkDict.IndexDup = r.i32map()
	d.UnkDict.ContentsMeta = r.meta()
	rows := make([][]string, r.count(4))
	for i := range rows {
		row := make([]string, r.count(4))
		for j := range row {
			row[j] = r.str()
		}
		rows[i] = row
	}
	d.UnkDict.Contents = rows
	name, src := r.str(), r.str()
	if r.err != nil {
		return nil, r.err
	}
	if _, err := r.r.ReadByte(); err != io.EOF {
		return nil, errors.New("dictpack: bytes left over after the dictionary")
	}
	if d.Connection.Row*d.Connection.Col != int64(len(d.Connection.Vec)) {
		return nil, errors.New("dictpack: connection matrix of the wrong size")
	}
	if len(d.POSTable.POSs) != len(d.Morphs) {
		return nil, errors.New("dictpack: parts of speech do not match the morphs")
	}
	d.SetInfo(&dict.Info{Name: name, Src: src})
	return d, nil
}

// maxPack bounds the decompressed size of a pack (the IPA dictionary's is
// about 21 MB), so that a corrupt length cannot ask for gigabytes.
const maxPack = 1 << 28

var errCorrupt = errors.New("dictpack: truncated or corrupt pack")

type writer struct{ buf []byte }

func (w *writer) u16(v uint16) { w.buf = binary.LittleEndian.AppendUint16(w.buf, v) }
func (w *writer) u32(v uint32) { w.buf = binary.LittleEndian.AppendUint32(w.buf, v) }
func (w *writer) u64(v uint64) { w.buf = binary.LittleEndian.AppendUint64(w.buf, v) }

func (w *writer) str(s string) {
	w.u32(uint32(len(s)))
	w.buf = append(w.buf, s...)
}

func (w *writer) bytes(b []byte) {
	w.u32(uint32(len(b)))
	w.buf = append(w.buf, b...)
}

func (w *writer) bools(b []bool) {
	w.u32(uint32(len(b)))
	for _, v := range b {
		if v {
			w.buf = append(w.buf, 1)
		} else {
			w.buf = append(w.buf, 0)
		}
	}
}

func (w *writer) u16s(v []uint16) {
	w.u32(uint32(len(v)))
	for _, x := range v {
		w.u16(x)
	}
}

func (w *writer) i16s(v []int16) {
	w.u32(uint32(len(v)))
	for _, x := range v {
		w.u16(uint16(x))
	}
}

func (w *writer) i32s(v []int32) {
	w.u32(uint32(len(v)))
	for _, x := range v {
		w.u32(uint32(x))
	}
}

func (w *writer) morphs(m dict.Morphs) {
	v := make([]int16, 0, 3*len(m))
	for _, x := range m {
		v = append(v, x.LeftID, x.RightID, x.Weight)
	}
	w.i16s(v)
}

// i32map writes a map sorted by key, so that a pack is reproducible.
func (w *writer) i32map(m map[int32]int32) {
	keys := make([]int32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	kv := make([]int32, 0, 2*len(keys))
	for _, k := range keys {
		kv = append(kv, k, m[k])
	}
	w.i32s(kv)
}

func (w *writer) meta(m dict.ContentsMeta) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.u32(uint32(len(keys)))
	for _, k := range keys {
		w.str(k)
		w.buf = append(w.buf, byte(m[k]))
	}
}

// reader decodes what writer wrote, from a stream; the first error sticks
// and every later read returns zero values.
type reader struct {
	r   *bufio.Reader
	err error
	buf [8]byte
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *reader) read(p []byte) bool {
	if r.err != nil {
		return false
	}
	if _, err := io.ReadFull(r.r, p); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = errCorrupt
		}
		r.fail(fmt.Errorf("dictpack: %w", err))
		return false
	}
	return true
}

func (r *reader) u32() uint32 {
	if !r.read(r.buf[:4]) {
		return 0
	}
	return binary.LittleEndian.Uint32(r.buf[:4])
}

func (r *reader) u64() uint64 {
	if !r.read(r.buf[:8]) {
		return 0
	}
	return binary.LittleEndian.Uint64(r.buf[:8])
}

// count reads the length of an array of elements of size bytes.
func (r *reader) count(size int) int {
	n := int(r.u32())
	if n*size > maxPack {
		r.fail(errCorrupt)
		return 0
	}
	return n
}

func (r *reader) str() string {
	b := make([]byte, r.count(1))
	r.read(b)
	return string(b)
}

func (r *reader) bools() []bool {
	b := make([]byte, r.count(1))
	r.read(b)
	out := make([]bool, len(b))
	for i, v := range b {
		out[i] = v != 0
	}
	return out
}

// array reads n elements of size bytes, a chunk at a time, handing each to
// put.
func (r *reader) array(n, size int, put func(i int, b []byte)) {
	var chunk [1 << 12]byte
	per := len(chunk) / size
	for i := 0; i < n; i += per {
		k := min(per, n-i)
		if !r.read(chunk[:k*size]) {
			return
		}
		for j := range k {
			put(i+j, chunk[j*size:])
		}
	}
}

func (r *reader) morphs() dict.Morphs {
	m := make(dict.Morphs, r.count(2)/3)
	r.array(len(m), 6, func(i int, b []byte) {
		m[i] = dict.Morph{
			LeftID:  int16(binary.LittleEndian.Uint16(b)),
			RightID: int16(binary.LittleEndian.Uint16(b[2:])),
			Weight:  int16(binary.LittleEndian.Uint16(b[4:])),
		}
	})
	return m
}

func (r *reader) i32map() map[int32]int32 {
	n := r.count(4) / 2
	m := make(map[int32]int32, n)
	r.array(n, 8, func(_ int, b []byte) {
		m[int32(binary.LittleEndian.Uint32(b))] = int32(binary.LittleEndian.Uint32(b[4:]))
	})
	return m
}

func (r *reader) meta() dict.ContentsMeta {
	n := r.count(5)
	m := make(dict.ContentsMeta, n)
	for range n {
		k := r.str()
		if !r.read(r.buf[:1]) {
			return m
		}
		m[k] = int8(r.buf[0])
	}
	return m
}

// Diff names the parts in which a and b differ, contents aside (a pack has
// none): what a round trip through Encode and Decode must leave equal.
func Diff(a, b *dict.Dict) []string {
	var diff []string
	for _, p := range []struct {
		name string
		a, b any
	}{
		{"morphs", a.Morphs, b.Morphs},
		{"parts of speech", a.POSTable, b.POSTable},
		{"contents meta", a.ContentsMeta, b.ContentsMeta},
		{"connection matrix", a.Connection, b.Connection},
		{"index", a.Index, b.Index},
		{"character classes", a.CharClass, b.CharClass},
		{"character categories", a.CharCategory, b.CharCategory},
		{"invoke list", a.InvokeList, b.InvokeList},
		{"group list", a.GroupList, b.GroupList},
		{"unknown-word dictionary", a.UnkDict, b.UnkDict},
		{"info", a.Info(), b.Info()},
	} {
		if !reflect.DeepEqual(p.a, p.b) {
			diff = append(diff, p.name)
		}
	}
	return diff
}
