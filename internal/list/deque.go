package list

// deque is the quicklist's sequence of nodes: a window buf[off:off+n] with
// room kept at both ends, so adding or dropping a node at either end is
// O(1) amortized (Redis links its nodes; a slice of pointers is smaller
// and walks faster).
type deque struct {
	buf    []*node
	off, n int
}

func (d *deque) at(i int) *node { return d.buf[d.off+i] }

// insert puts x at index i (0 … n).
func (d *deque) insert(i int, x *node) {
	if i == 0 && d.off > 0 {
		d.off--
		d.buf[d.off] = x
		d.n++
		return
	}
	if i == 0 || d.off+d.n == len(d.buf) {
		d.regrow()
	}
	if i == 0 {
		d.off--
		d.buf[d.off] = x
		d.n++
		return
	}
	b := d.buf[d.off : d.off+d.n+1]
	copy(b[i+1:], b[i:])
	b[i] = x
	d.n++
}

// remove drops the node at index i.
func (d *deque) remove(i int) {
	b := d.buf[d.off : d.off+d.n]
	if i == 0 {
		b[0] = nil
		d.off++
	} else {
		copy(b[i:], b[i+1:])
		b[len(b)-1] = nil
	}
	d.n--
	if d.n == 0 {
		d.off = len(d.buf) / 2
	}
	if len(d.buf) > 16 && d.n < len(d.buf)/4 {
		d.resize(2 * d.n)
	}
}

// regrow makes room at both ends.
func (d *deque) regrow() { d.resize(2*d.n + 2) }

func (d *deque) resize(size int) {
	size = max(size, 2)
	nb := make([]*node, size)
	off := (size - d.n) / 2
	copy(nb[off:], d.buf[d.off:d.off+d.n])
	d.buf, d.off = nb, off
}
