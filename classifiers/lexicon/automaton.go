package lexicon

// automaton is a byte-level Aho–Corasick automaton compiled to a DFA: the
// fail links are folded into a dense transition table at build time, so
// matching reads one table entry per input byte. To keep the table small,
// bytes are mapped to classes first: every byte that occurs in no key shares
// class 0, and each byte that occurs in a key has a class of its own (about
// a hundred for the Japanese lexicons, since UTF-8 lead and continuation
// bytes repeat across terms).
type automaton struct {
	class  [256]int32
	nclass int32
	// delta[s*nclass+class[b]] is the state after reading b in state s, or
	// its complement (^next, negative) when the next state has outputs to
	// report, directly or through its dictionary links.
	delta  []int32
	states []state
	outs   []int32 // entry indices; a state's own outputs are outs[outLo:outHi]
}

type state struct {
	outLo, outHi int32 // entries whose key is exactly this state's path
	dict         int32 // nearest state on the fail chain with outputs; 0 if none
	depth        int32 // length in bytes of this state's path
}

// buildAutomaton builds the automaton for keys; a match of keys[i] reports
// output i. Keys must be non-empty.
func buildAutomaton(keys []string) automaton {
	var a automaton
	for _, k := range keys {
		for i := 0; i < len(k); i++ {
			if a.class[k[i]] == 0 {
				a.nclass++
				a.class[k[i]] = a.nclass
			}
		}
	}
	a.nclass++ // class 0
	nc := a.nclass

	// The trie, its goto function stored directly in delta (0 = no edge;
	// the root is never a goto target). It has at most one state per key
	// byte, plus the root.
	maxStates := 1
	for _, k := range keys {
		maxStates += len(k)
	}
	a.states = append(make([]state, 0, maxStates), state{})
	a.delta = make([]int32, nc, maxStates*int(nc))
	outs := append(make([][]int32, 0, maxStates), nil)
	for i, k := range keys {
		s := int32(0)
		for j := 0; j < len(k); j++ {
			c := a.class[k[j]]
			next := a.delta[s*nc+c]
			if next == 0 {
				next = int32(len(a.states))
				a.states = append(a.states, state{depth: a.states[s].depth + 1})
				a.delta = append(a.delta, make([]int32, nc)...)
				outs = append(outs, nil)
				a.delta[s*nc+c] = next
			}
			s = next
		}
		outs[s] = append(outs[s], int32(i))
	}
	for s, o := range outs {
		a.states[s].outLo = int32(len(a.outs))
		a.outs = append(a.outs, o...)
		a.states[s].outHi = int32(len(a.outs))
	}

	// Breadth first, every state's fail target is shallower and so already
	// complete: a missing transition of s is its fail target's transition.
	fail := make([]int32, len(a.states))
	queue := make([]int32, 0, len(a.states))
	for c := int32(0); c < nc; c++ {
		if v := a.delta[c]; v != 0 {
			queue = append(queue, v) // depth-1 states fail to the root
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := fail[s]
		if fs := &a.states[f]; fs.outLo < fs.outHi {
			a.states[s].dict = f
		} else {
			a.states[s].dict = fs.dict
		}
		row, frow := a.delta[s*nc:(s+1)*nc], a.delta[f*nc:(f+1)*nc]
		for c := range row {
			if v := row[c]; v != 0 {
				fail[v] = frow[c]
				queue = append(queue, v)
			} else {
				row[c] = frow[c]
			}
		}
	}
	// The root's row needs no filling: a missing edge from the root is 0.

	a.delta = a.delta[:len(a.delta):len(a.delta)]

	// Mark transitions into states that report something.
	for i, v := range a.delta {
		if st := &a.states[v]; st.outLo < st.outHi || st.dict != 0 {
			a.delta[i] = ^v
		}
	}
	return a
}
