package sops

// This file writes YAML as SOPS writes it: SOPS builds go.yaml.in/yaml/v3
// nodes from its tree (comments as head, line and foot comments) and
// encodes them with an indentation of 4. yaml.v3's emitter, a port of
// libyaml, decides the layout through a state machine whose quirks (the
// indentation of sequences in mappings, of mappings in sequences, where
// comments go) are part of the output; the functions below follow it
// state for state, for the events yaml.v3 generates from SOPS's nodes.

import "bytes"

// yStyle is a scalar style.
type yStyle uint8

const (
	yPlain yStyle = iota
	ySingle
	yDouble
	yLiteral
)

// yNode is a yaml.v3 node as SOPS builds it. Comments are lists of lines,
// each without its "#".
type yNode struct {
	kind             kind // kindMap, kindSeq or kindScalar
	content          []*yNode
	value            []byte
	style            yStyle
	merge            bool // tagged !!merge: the plain string "<<"
	head, line, foot [][]byte
}

type yEventType uint8

const (
	evStreamStart yEventType = iota
	evStreamEnd
	evDocStart
	evDocEnd
	evMapStart
	evMapEnd
	evSeqStart
	evSeqEnd
	evScalar
)

type yEvent struct {
	typ                    yEventType
	value                  []byte
	style                  yStyle
	merge                  bool
	implicit               bool
	head, line, foot, tail [][]byte
}

// yEvents generates the events yaml.v3's encoder emits for documents, each
// a mapping, in one stream.
func yEvents(docs []*yNode) []yEvent {
	evs := []yEvent{{typ: evStreamStart}}
	for _, d := range docs {
		evs = append(evs, yEvent{typ: evDocStart, implicit: true})
		evs = appendNodeEvents(evs, d, nil)
		evs = append(evs, yEvent{typ: evDocEnd, implicit: true})
	}
	return append(evs, yEvent{typ: evStreamEnd})
}

// appendNodeEvents follows yaml.v3's encoder: a key's foot comment is
// emitted as the tail comment of the next key, or of the mapping's end.
func appendNodeEvents(evs []yEvent, n *yNode, tail [][]byte) []yEvent {
	switch n.kind {
	case kindSeq:
		evs = append(evs, yEvent{typ: evSeqStart, head: n.head})
		for _, c := range n.content {
			evs = appendNodeEvents(evs, c, nil)
		}
		return append(evs, yEvent{typ: evSeqEnd, line: n.line, foot: n.foot})
	case kindMap:
		evs = append(evs, yEvent{typ: evMapStart, head: n.head, tail: tail})
		var keyTail [][]byte
		for i := 0; i+1 < len(n.content); i += 2 {
			k := n.content[i]
			foot := k.foot
			if foot != nil {
				kc := *k
				kc.foot = nil
				k = &kc
			}
			evs = appendNodeEvents(evs, k, keyTail)
			keyTail = foot
			evs = appendNodeEvents(evs, n.content[i+1], nil)
		}
		return append(evs, yEvent{typ: evMapEnd, tail: keyTail, line: n.line, foot: n.foot})
	}
	style := n.style
	if style == yPlain && bytes.IndexByte(n.value, '\n') >= 0 {
		style = yLiteral
	}
	return append(evs, yEvent{typ: evScalar, value: n.value, style: style, merge: n.merge, head: n.head, line: n.line, foot: n.foot, tail: tail})
}

type yState uint8

const (
	stStreamStart yState = iota
	stFirstDocStart
	stDocStart
	stDocContent
	stDocEnd
	stFlowSeqFirst
	stFlowMapFirst
	stBlockSeqFirst
	stBlockSeqItem
	stBlockMapFirst
	stBlockMapKey
	stBlockMapSimpleValue
	stBlockMapValue
	stEnd
)

// scalarAnalysis is what libyaml's yaml_emitter_analyze_scalar finds.
type scalarAnalysis struct {
	empty, multiline, flowPlain, blockPlain, single, block bool
}

// yEmitter is the state of yaml.v3's emitter that SOPS's documents reach.
type yEmitter struct {
	out        *sink
	bestIndent int
	events     []yEvent
	head       int // the event being processed
	state      yState
	states     []yState
	indent     int
	indents    []int
	flowLevel  int
	column     int
	whitespace bool
	indention  bool
	openEnded  bool
	footIndent int

	rootCtx, seqCtx, mapCtx, simpleKeyCtx bool

	headComment, lineComment, footComment, tailComment [][]byte

	scalar   []byte
	analysis scalarAnalysis
	style    yStyle
}

// emitYAML writes documents as SOPS's YAML store does.
func emitYAML(out *sink, docs []*yNode) {
	e := &yEmitter{out: out, bestIndent: 4, events: yEvents(docs)}
	for e.head = 0; e.head < len(e.events); e.head++ {
		ev := &e.events[e.head]
		e.analyzeEvent(ev)
		e.stateMachine(ev)
	}
}

func (e *yEmitter) analyzeEvent(ev *yEvent) {
	if len(ev.head) > 0 {
		e.headComment = ev.head
	}
	if len(ev.line) > 0 {
		e.lineComment = ev.line
	}
	if len(ev.foot) > 0 {
		e.footComment = ev.foot
	}
	if len(ev.tail) > 0 {
		e.tailComment = ev.tail
	}
	e.scalar = nil
	if ev.typ == evScalar {
		e.scalar = ev.value
		e.analysis = analyzeScalar(ev.value)
	}
}

func (e *yEmitter) push(s yState) { e.states = append(e.states, s) }

func (e *yEmitter) pop() {
	e.state = e.states[len(e.states)-1]
	e.states = e.states[:len(e.states)-1]
}

func (e *yEmitter) popIndent() {
	e.indent = e.indents[len(e.indents)-1]
	e.indents = e.indents[:len(e.indents)-1]
}

func (e *yEmitter) stateMachine(ev *yEvent) {
	switch e.state {
	case stStreamStart:
		e.indent, e.column = -1, 0
		e.whitespace, e.indention = true, true
		e.footIndent = -1
		e.state = stFirstDocStart
	case stFirstDocStart:
		e.documentStart(ev, true)
	case stDocStart:
		e.documentStart(ev, false)
	case stDocContent:
		e.push(stDocEnd)
		e.processHeadComment()
		e.node(ev, true, false, false, false)
		e.processLineComment(false)
		e.processFootComment()
	case stDocEnd:
		e.footIndent = 0
		e.processFootComment()
		e.footIndent = -1
		e.writeIndent()
		e.state = stDocStart
	case stFlowSeqFirst:
		e.flowCollection(ev, '[', ']')
	case stFlowMapFirst:
		e.flowCollection(ev, '{', '}')
	case stBlockSeqFirst:
		e.blockSeqItem(ev, true)
	case stBlockSeqItem:
		e.blockSeqItem(ev, false)
	case stBlockMapFirst:
		e.blockMapKey(ev, true)
	case stBlockMapKey:
		e.blockMapKey(ev, false)
	case stBlockMapSimpleValue:
		e.blockMapValue(ev, true)
	case stBlockMapValue:
		e.blockMapValue(ev, false)
	}
}

func (e *yEmitter) documentStart(ev *yEvent, first bool) {
	if ev.typ == evStreamEnd {
		e.state = stEnd
		return
	}
	implicit := ev.implicit && first
	if !implicit {
		e.writeIndent()
		e.writeIndicator("---", true, false, false)
		e.writeIndent()
	}
	if len(e.headComment) > 0 {
		e.processHeadComment()
		e.putBreak()
	}
	e.state = stDocContent
}

// flowCollection writes an empty sequence or mapping, the only flow
// collections yaml.v3 writes for SOPS: [] or {}.
func (e *yEmitter) flowCollection(ev *yEvent, open, close byte) {
	e.writeIndicator(string(open), true, true, false)
	e.increaseIndent(true, false)
	e.flowLevel++
	if close == '}' {
		e.processHeadComment()
	}
	e.flowLevel--
	e.popIndent()
	if close == ']' && e.column == 0 {
		e.writeIndent()
	}
	e.writeIndicator(string(close), false, false, false)
	e.processLineComment(false)
	e.processFootComment()
	e.pop()
}

func (e *yEmitter) blockSeqItem(ev *yEvent, first bool) {
	if first {
		e.increaseIndent(false, false)
	}
	if ev.typ == evSeqEnd {
		e.popIndent()
		e.pop()
		return
	}
	e.processHeadComment()
	e.writeIndent()
	e.writeIndicator("-", true, false, true)
	e.push(stBlockSeqItem)
	e.node(ev, false, true, false, false)
	e.processLineComment(false)
	e.processFootComment()
}

func (e *yEmitter) blockMapKey(ev *yEvent, first bool) {
	if first {
		e.increaseIndent(false, false)
	}
	e.processHeadComment()
	if ev.typ == evMapEnd {
		e.popIndent()
		e.pop()
		return
	}
	e.writeIndent()
	if e.checkSimpleKey() {
		e.push(stBlockMapSimpleValue)
		e.node(ev, false, false, true, true)
		return
	}
	e.writeIndicator("?", true, false, true)
	e.push(stBlockMapValue)
	e.node(ev, false, false, true, false)
}

func (e *yEmitter) blockMapValue(ev *yEvent, simple bool) {
	if simple {
		e.writeIndicator(":", false, false, false)
	} else {
		e.writeIndent()
		e.writeIndicator(":", true, false, true)
	}
	e.push(stBlockMapKey)
	e.node(ev, false, false, true, false)
	e.processLineComment(false)
	e.processFootComment()
}

// checkSimpleKey: a key is written "key:" unless it is multi-line or
// longer than 128 bytes.
func (e *yEmitter) checkSimpleKey() bool {
	ev := &e.events[e.head]
	switch ev.typ {
	case evScalar:
		return !e.analysis.multiline && len(ev.value) <= 128
	case evSeqStart:
		return e.head+1 < len(e.events) && e.events[e.head+1].typ == evSeqEnd
	case evMapStart:
		return e.head+1 < len(e.events) && e.events[e.head+1].typ == evMapEnd
	}
	return false
}

func (e *yEmitter) node(ev *yEvent, root, seq, mapping, simpleKey bool) {
	e.rootCtx, e.seqCtx, e.mapCtx, e.simpleKeyCtx = root, seq, mapping, simpleKey
	switch ev.typ {
	case evScalar:
		e.style = selectStyle(ev.style, e.analysis, e.simpleKeyCtx, e.flowLevel > 0)
		if ev.merge {
			e.writeIndicator("!!merge", true, false, false)
		}
		e.increaseIndent(true, false)
		e.processScalar()
		e.popIndent()
		e.pop()
	case evSeqStart:
		if e.flowLevel > 0 || e.head+1 < len(e.events) && e.events[e.head+1].typ == evSeqEnd {
			e.state = stFlowSeqFirst
		} else {
			e.state = stBlockSeqFirst
		}
	case evMapStart:
		if e.flowLevel > 0 || e.head+1 < len(e.events) && e.events[e.head+1].typ == evMapEnd {
			e.state = stFlowMapFirst
		} else {
			e.state = stBlockMapFirst
		}
	}
}

func (e *yEmitter) increaseIndent(flow, indentless bool) {
	e.indents = append(e.indents, e.indent)
	switch {
	case e.indent < 0:
		if flow {
			e.indent = e.bestIndent
		} else {
			e.indent = 0
		}
	case indentless:
	case len(e.states) > 0 && e.states[len(e.states)-1] == stBlockSeqItem:
		e.indent += 2 // the first indentation in a sequence skips "- "
	default:
		e.indent = e.bestIndent * ((e.indent + e.bestIndent) / e.bestIndent)
	}
}

// selectStyle is libyaml's choice of a scalar style: the requested one,
// or the next one that can write the value.
func selectStyle(style yStyle, a scalarAnalysis, simpleKey, flow bool) yStyle {
	if simpleKey && a.multiline {
		style = yDouble
	}
	if style == yPlain {
		if flow && !a.flowPlain || !flow && !a.blockPlain {
			style = ySingle
		}
		if a.empty && (flow || simpleKey) {
			style = ySingle
		}
	}
	if style == ySingle && !a.single {
		style = yDouble
	}
	if style == yLiteral && (!a.block || flow || simpleKey) {
		style = yDouble
	}
	return style
}

func (e *yEmitter) processScalar() {
	switch e.style {
	case yPlain:
		e.writePlain(e.scalar)
	case ySingle:
		e.writeSingleQuoted(e.scalar)
	case yDouble:
		e.writeDoubleQuoted(e.scalar)
	case yLiteral:
		e.writeLiteral(e.scalar)
	}
}

func (e *yEmitter) processHeadComment() {
	if len(e.tailComment) > 0 {
		e.writeIndent()
		e.writeComment(e.tailComment)
		e.tailComment = nil
		e.footIndent = max(e.indent, 0)
	}
	if len(e.headComment) == 0 {
		return
	}
	e.writeIndent()
	e.writeComment(e.headComment)
	e.headComment = nil
}

func (e *yEmitter) processLineComment(linebreak bool) {
	if len(e.lineComment) == 0 {
		if linebreak {
			e.putBreak()
		}
		return
	}
	if !e.whitespace {
		e.put(' ')
	}
	e.writeComment(e.lineComment)
	e.lineComment = nil
}

func (e *yEmitter) processFootComment() {
	if len(e.footComment) == 0 {
		return
	}
	e.writeIndent()
	e.writeComment(e.footComment)
	e.footComment = nil
	e.footIndent = max(e.indent, 0)
}

// writeComment writes comment lines, each as "#" and its text.
func (e *yEmitter) writeComment(lines [][]byte) {
	for i, l := range lines {
		if i > 0 {
			e.putBreak()
			e.writeIndent()
		}
		e.put('#')
		for j := 0; j < len(l); {
			if isBreakAt(l, j) {
				// A comment line holds no line break; written as is.
				e.writeBreak(l, &j)
				continue
			}
			e.writeChar(l, &j)
		}
		e.indention = false
	}
	e.putBreak()
	e.whitespace = true
}

func (e *yEmitter) writeIndent() {
	indent := max(e.indent, 0)
	if !e.indention || e.column > indent || (e.column == indent && !e.whitespace) {
		e.putBreak()
	}
	if e.footIndent == indent {
		e.putBreak()
	}
	for e.column < indent {
		e.put(' ')
	}
	e.whitespace = true
	e.footIndent = -1
}

func (e *yEmitter) writeIndicator(ind string, needWhitespace, isWhitespace, isIndention bool) {
	if needWhitespace && !e.whitespace {
		e.put(' ')
	}
	e.out.writeString(ind)
	e.column += len(ind)
	e.whitespace = isWhitespace
	e.indention = e.indention && isIndention
	e.openEnded = false
}

func (e *yEmitter) put(c byte) {
	e.out.byte(c)
	e.column++
}

func (e *yEmitter) putBreak() {
	e.out.byte('\n')
	e.column = 0
	e.indention = true
}

// writeChar writes the UTF-8 character at s[*i], one column.
func (e *yEmitter) writeChar(s []byte, i *int) {
	w := utf8Width(s[*i])
	end := min(*i+w, len(s))
	e.out.write(s[*i:end])
	e.column++
	*i = end
}

func (e *yEmitter) writeBreak(s []byte, i *int) {
	if s[*i] == '\n' {
		e.putBreak()
		*i++
		return
	}
	e.writeChar(s, i)
	e.column = 0
	e.indention = true
}

// writeLines writes v's characters, a line break as yaml.v3's emitter
// writes one in a plain or single-quoted scalar, doubling each single
// quote when quoted.
func (e *yEmitter) writeLines(v []byte, quoted bool) {
	breaks := false
	for i := 0; i < len(v); {
		switch {
		case isSpaceAt(v, i):
			e.writeChar(v, &i)
		case isBreakAt(v, i):
			if !breaks && v[i] == '\n' {
				e.putBreak()
			}
			e.writeBreak(v, &i)
			breaks = true
		default:
			if breaks {
				e.writeIndent()
			}
			if quoted && v[i] == '\'' {
				e.put('\'')
			}
			e.writeChar(v, &i)
			e.indention = false
			breaks = false
		}
	}
}

func (e *yEmitter) writePlain(v []byte) {
	if len(v) > 0 && !e.whitespace {
		e.put(' ')
	}
	e.writeLines(v, false)
	if len(v) > 0 {
		e.whitespace = false
	}
	e.indention = false
	if e.rootCtx {
		e.openEnded = true
	}
}

func (e *yEmitter) writeSingleQuoted(v []byte) {
	e.writeIndicator("'", true, false, false)
	e.writeLines(v, true)
	e.writeIndicator("'", false, false, false)
	e.whitespace = false
	e.indention = false
}

func (e *yEmitter) writeDoubleQuoted(v []byte) {
	e.writeIndicator(`"`, true, false, false)
	for i := 0; i < len(v); {
		if !isPrintableAt(v, i) || isBOMAt(v, i) || isBreakAt(v, i) || v[i] == '"' || v[i] == '\\' {
			r, w := decodeRune(v, i)
			i += w
			e.put('\\')
			switch r {
			case 0x00:
				e.put('0')
			case 0x07:
				e.put('a')
			case 0x08:
				e.put('b')
			case 0x09:
				e.put('t')
			case 0x0a:
				e.put('n')
			case 0x0b:
				e.put('v')
			case 0x0c:
				e.put('f')
			case 0x0d:
				e.put('r')
			case 0x1b:
				e.put('e')
			case 0x22:
				e.put('"')
			case 0x5c:
				e.put('\\')
			case 0x85:
				e.put('N')
			case 0xa0:
				e.put('_')
			case 0x2028:
				e.put('L')
			case 0x2029:
				e.put('P')
			default:
				digits := 8
				switch {
				case r <= 0xff:
					e.put('x')
					digits = 2
				case r <= 0xffff:
					e.put('u')
					digits = 4
				default:
					e.put('U')
				}
				for k := (digits - 1) * 4; k >= 0; k -= 4 {
					e.put("0123456789ABCDEF"[(r>>uint(k))&0xf])
				}
			}
			continue
		}
		e.writeChar(v, &i)
	}
	e.writeIndicator(`"`, false, false, false)
	e.whitespace = false
	e.indention = false
}

func (e *yEmitter) writeLiteral(v []byte) {
	e.writeIndicator("|", true, false, false)
	e.blockScalarHints(v)
	e.processLineComment(true)
	e.whitespace = true
	breaks := true
	for i := 0; i < len(v); {
		if isBreakAt(v, i) {
			e.writeBreak(v, &i)
			breaks = true
			continue
		}
		if breaks {
			e.writeIndent()
		}
		e.writeChar(v, &i)
		e.indention = false
		breaks = false
	}
}

func (e *yEmitter) blockScalarHints(v []byte) {
	if isSpaceAt(v, 0) || isBreakAt(v, 0) {
		e.writeIndicator(string(rune('0'+e.bestIndent)), false, false, false)
	}
	e.openEnded = false
	chomp := ""
	if len(v) == 0 {
		chomp = "-"
	} else {
		i := len(v) - 1
		for i > 0 && v[i]&0xc0 == 0x80 {
			i--
		}
		switch {
		case !isBreakAt(v, i):
			chomp = "-"
		case i == 0:
			chomp = "+"
			e.openEnded = true
		default:
			i--
			for i > 0 && v[i]&0xc0 == 0x80 {
				i--
			}
			if isBreakAt(v, i) {
				chomp = "+"
				e.openEnded = true
			}
		}
	}
	if chomp != "" {
		e.writeIndicator(chomp, false, false, false)
	}
}

// analyzeScalar is libyaml's yaml_emitter_analyze_scalar, with unicode
// output allowed as yaml.v3 sets it.
func analyzeScalar(v []byte) scalarAnalysis {
	if len(v) == 0 {
		return scalarAnalysis{empty: true, blockPlain: true, single: true}
	}
	var blockInd, flowInd, lineBreaks, special, tabs bool
	var leadingSpace, leadingBreak, trailingSpace, trailingBreak, breakSpace, spaceBreak bool
	var previousSpace, previousBreak bool
	if len(v) >= 3 && (v[0] == '-' && v[1] == '-' && v[2] == '-' || v[0] == '.' && v[1] == '.' && v[2] == '.') {
		blockInd, flowInd = true, true
	}
	precededByWhitespace := true
	for i, w := 0, 0; i < len(v); i += w {
		w = utf8Width(v[i])
		followedByWhitespace := i+w >= len(v) || isBlankAt(v, i+w)
		if i == 0 {
			switch v[i] {
			case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
				flowInd, blockInd = true, true
			case '?', ':':
				flowInd = true
				if followedByWhitespace {
					blockInd = true
				}
			case '-':
				if followedByWhitespace {
					flowInd, blockInd = true, true
				}
			}
		} else {
			switch v[i] {
			case ',', '?', '[', ']', '{', '}':
				flowInd = true
			case ':':
				flowInd = true
				if followedByWhitespace {
					blockInd = true
				}
			case '#':
				if precededByWhitespace {
					flowInd, blockInd = true, true
				}
			}
		}
		if v[i] == '\t' {
			tabs = true
		} else if !isPrintableAt(v, i) {
			special = true
		}
		switch {
		case isSpaceAt(v, i):
			if i == 0 {
				leadingSpace = true
			}
			if i+w == len(v) {
				trailingSpace = true
			}
			if previousBreak {
				breakSpace = true
			}
			previousSpace, previousBreak = true, false
		case isBreakAt(v, i):
			lineBreaks = true
			if i == 0 {
				leadingBreak = true
			}
			if i+w == len(v) {
				trailingBreak = true
			}
			if previousSpace {
				spaceBreak = true
			}
			previousSpace, previousBreak = false, true
		default:
			previousSpace, previousBreak = false, false
		}
		precededByWhitespace = isBlankAt(v, i) || isBreakAt(v, i) || v[i] == 0
	}
	a := scalarAnalysis{multiline: lineBreaks, flowPlain: true, blockPlain: true, single: true, block: true}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		a.flowPlain, a.blockPlain = false, false
	}
	if trailingSpace {
		a.block = false
	}
	if breakSpace {
		a.flowPlain, a.blockPlain, a.single = false, false, false
	}
	if spaceBreak || tabs || special {
		a.flowPlain, a.blockPlain, a.single = false, false, false
	}
	if spaceBreak || special {
		a.block = false
	}
	if lineBreaks {
		a.flowPlain, a.blockPlain = false, false
	}
	if flowInd {
		a.flowPlain = false
	}
	if blockInd {
		a.blockPlain = false
	}
	return a
}

func utf8Width(c byte) int {
	switch {
	case c&0x80 == 0:
		return 1
	case c&0xe0 == 0xc0:
		return 2
	case c&0xf0 == 0xe0:
		return 3
	case c&0xf8 == 0xf0:
		return 4
	}
	return 0
}

func at(v []byte, i int) byte {
	if i < len(v) {
		return v[i]
	}
	return 0
}

func isSpaceAt(v []byte, i int) bool { return at(v, i) == ' ' }

func isBlankAt(v []byte, i int) bool { return at(v, i) == ' ' || at(v, i) == '\t' }

func isBreakAt(v []byte, i int) bool {
	c := at(v, i)
	return c == '\r' || c == '\n' ||
		c == 0xc2 && at(v, i+1) == 0x85 ||
		c == 0xe2 && at(v, i+1) == 0x80 && (at(v, i+2) == 0xa8 || at(v, i+2) == 0xa9)
}

func isBOMAt(v []byte, i int) bool {
	return at(v, i) == 0xef && at(v, i+1) == 0xbb && at(v, i+2) == 0xbf
}

// isPrintableAt is libyaml's is_printable: the characters YAML may hold
// unescaped, which leaves out control characters and everything beyond
// the Basic Multilingual Plane (emoji are escaped as \UXXXXXXXX).
func isPrintableAt(v []byte, i int) bool {
	c, d, f := at(v, i), at(v, i+1), at(v, i+2)
	return c == 0x0a ||
		c >= 0x20 && c <= 0x7e ||
		c == 0xc2 && d >= 0xa0 ||
		c > 0xc2 && c < 0xed ||
		c == 0xed && d < 0xa0 ||
		c == 0xee ||
		c == 0xef && !(d == 0xbb && f == 0xbf) && !(d == 0xbf && (f == 0xbe || f == 0xbf))
}

func decodeRune(v []byte, i int) (rune, int) {
	c := v[i]
	var r rune
	w := utf8Width(c)
	switch w {
	case 1:
		r = rune(c & 0x7f)
	case 2:
		r = rune(c & 0x1f)
	case 3:
		r = rune(c & 0x0f)
	case 4:
		r = rune(c & 0x07)
	default:
		return rune(c), 1
	}
	for k := 1; k < w && i+k < len(v); k++ {
		r = r<<6 + rune(v[i+k]&0x3f)
	}
	return r, w
}
