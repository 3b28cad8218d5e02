"""Fused recurrent ops: a whole SimpleRNN, LSTM or GRU sequence as ONE node on the tape.

Forward: one input-projection GEMM for all time steps up front (``x @ kernel + bias`` as a
``(T * B, D) @ (D, G * U)`` product), then per time step one recurrent GEMM
(``h @ recurrent_kernel``) and the gate arithmetic, in place on preallocated time-major arrays.
Backward (backpropagation through time): a loop back over the steps with one GEMM per step
(``dz @ recurrent_kernel.T``), then the weight gradients as three large GEMMs over all steps at
once (``x.T @ dz``, ``h_prev.T @ dz``) and the input gradient as one (``dz @ kernel.T``).

Gate layouts are Keras's: LSTM kernels ``(D, 4U)`` with gates ``i, f, c, o``; GRU kernels
``(D, 3U)`` with gates ``z, r, h`` and, with ``reset_after`` (the default), a bias of shape
``(2, 3U)`` (input bias, recurrent bias) and the reset gate applied after the recurrent GEMM.

Masks (``(B, T)`` booleans) carry the state over masked steps; a masked step's output is the
previous output (or zeros with ``zero_output_for_mask``), as Keras's ``backend.rnn``.
Recurrent dropout multiplies the state entering the recurrent GEMM by a fixed ``(B, U)`` mask.

The ops return the output sequence ``(B, T, U)`` (``return_sequences``) or the last output
``(B, U)``; with ``return_state`` the final states are packed after the outputs along axis 1
(``(B, T_out + n_states, U)``), for the layer to slice.
"""

from ember.autodiff.function import Function
from ember.backend import xp

# -- activations with in-place forward and derivative from the output ----------------------------


def _sigmoid_(a):
    a *= 0.5
    xp.tanh(a, out=a)
    a *= 0.5
    a += 0.5


def _hard_sigmoid_(a):
    a *= 1.0 / 6.0
    a += 0.5
    xp.clip(a, 0.0, 1.0, out=a)


def _relu_(a):
    xp.maximum(a, 0, out=a)


ACTIVATIONS = {
    # name: (in-place forward, derivative as a function of the output)
    "tanh": (lambda a: xp.tanh(a, out=a), lambda y: 1 - y * y),
    "sigmoid": (_sigmoid_, lambda y: y * (1 - y)),
    "relu": (_relu_, lambda y: (y > 0).astype(y.dtype)),
    "linear": (lambda a: None, None),
    "hard_sigmoid": (_hard_sigmoid_, lambda y: ((y > 0) & (y < 1)).astype(y.dtype) / 6),
}


def supported_activation(name):
    return name in ACTIVATIONS


def _scale_by_derivative(g, y, name):
    """``g * act'(x)`` from ``y = act(x)``, in place on ``g``."""
    d = ACTIVATIONS[name][1]
    if d is not None:
        g *= d(y)
    return g


# -- shared bookkeeping ---------------------------------------------------------------------------
class _Recurrence(Function):
    """The time loop's bookkeeping shared by the three cells: time-major layout, reversal,
    masks, output assembly and state packing."""

    n_states = 1

    def __init__(self, units, activation, recurrent_activation, mask=None,
                 recurrent_mask=None, go_backwards=False, return_sequences=False,
                 return_state=False, zero_output_for_mask=False):
        self.units = units
        self.act, self.ract = activation, recurrent_activation
        self.mask, self.rmask = mask, recurrent_mask
        self.go_backwards = go_backwards
        self.return_sequences, self.return_state = return_sequences, return_state
        self.zero_output = zero_output_for_mask

    def _time_major(self, x):
        xt = x.transpose(1, 0, 2)
        if self.go_backwards:
            xt = xt[::-1]
        xt = xp.ascontiguousarray(xt)
        self._mt = None
        if self.mask is not None:
            m = self.mask.T[::-1] if self.go_backwards else self.mask.T
            self._mt = xp.ascontiguousarray(m[:, :, None]).astype(x.dtype)
        return xt

    def _project(self, xt, kernel, bias):
        t, b, d = xt.shape
        z = xt.reshape(t * b, d) @ kernel
        if bias is not None:
            z += bias
        return z.reshape(t, b, -1)

    def _finish(self, H, Y, states):
        """The op's output from the carried states ``H`` (T + 1, B, U), the outputs ``Y`` (None
        when they equal ``H[1:]``) and the final states."""
        if Y is None:
            Y = H[1:]
        out = Y.transpose(1, 0, 2) if self.return_sequences else Y[-1][:, None]
        if self.return_state:
            out = xp.concatenate([out] + [s[:, None] for s in states], axis=1)
        elif not self.return_sequences:
            out = out[:, 0]
        return xp.ascontiguousarray(out)

    def _unpack(self, gy):
        """Gradients for the outputs (time-major (T, B, U), or None with only ``last``) and the
        final states, from the gradient of the packed output."""
        t_out = self.T if self.return_sequences else 1
        if self.return_state:
            gout, gstates = gy[:, :t_out], [gy[:, t_out + i] for i in range(self.n_states)]
        else:
            gout, gstates = (gy if self.return_sequences else gy[:, None]), [None] * self.n_states
        if self.return_sequences:
            return gout.transpose(1, 0, 2), None, gstates
        return None, gout[:, 0], gstates

    def _output_grad(self, t, GY, glast, carry):
        """Gradient reaching the new state of step ``t`` through the outputs, and the carry to
        step ``t - 1`` (masked outputs repeat the previous one)."""
        g = GY[t] if GY is not None else (glast if t == self.T - 1 else None)
        mt = self._mt
        if mt is None:
            return g, None
        m = mt[t]
        if self.zero_output:
            return (None if g is None else g * m), None
        if carry is not None:
            g = carry if g is None else g + carry
        if g is None:
            return None, None
        gm = g * m
        return gm, g - gm

    def _carry_state(self, t, dstate):
        """Split the gradient of the carried state after step ``t`` into the part reaching the
        new state (unmasked) and the part passing straight to the previous state."""
        mt = self._mt
        if mt is None or dstate is None:
            return dstate, None
        part = dstate * mt[t]
        return part, dstate - part

    def _input_grad(self, dZ, kernel, x_shape):
        t, b, g = dZ.shape
        dx = (dZ.reshape(t * b, g) @ kernel.T).reshape(t, b, -1)
        if self.go_backwards:
            dx = dx[::-1]
        return xp.ascontiguousarray(dx.transpose(1, 0, 2))

    def _masked_update(self, H, t, h_new, Y=None):
        """``H[t + 1]`` (and the output ``Y[t]``) from the new state, honouring the mask."""
        mt = self._mt
        if mt is None:
            H[t + 1] = h_new
            return
        m = mt[t]
        xp.subtract(h_new, H[t], out=H[t + 1])
        H[t + 1] *= m
        H[t + 1] += H[t]
        if Y is not None:
            if self.zero_output:
                xp.multiply(h_new, m, out=Y[t])
            else:
                prev = Y[t - 1] if t else xp.zeros_like(h_new)
                xp.subtract(h_new, prev, out=Y[t])
                Y[t] *= m
                Y[t] += prev


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _recurrent_input(h, rmask):
    return h if rmask is None else h * rmask


# -- SimpleRNN ------------------------------------------------------------------------------------
class SimpleRNNSequence(_Recurrence):
    """``h_t = act(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``.
    Inputs: x (B, T, D), h0 (B, U), kernel (D, U), recurrent_kernel (U, U)[, bias (U,)]."""

    def forward(self, x, h0, kernel, rkernel, bias=None):
        xt = self._time_major(x)
        T, B = xt.shape[:2]
        self.T = T
        Z = self._project(xt, kernel, bias)  # becomes the new states (activated) in place
        H = xp.empty((T + 1, B, self.units), dtype=x.dtype)
        H[0] = h0
        Y = xp.empty_like(Z) if self._mt is not None else None
        fwd = ACTIVATIONS[self.act][0]
        for t in range(T):
            z = Z[t]
            z += _recurrent_input(H[t], self.rmask) @ rkernel
            fwd(z)
            self._masked_update(H, t, z, Y)
        if self.recording:
            self.saved = (xt, Z, H, kernel, rkernel, bias is not None, x.shape)
        return self._finish(H, Y, [H[T]])

    def backward(self, gy):
        xt, Z, H, kernel, rkernel, has_bias, x_shape = self.saved
        GY, glast, (gh,) = self._unpack(gy)
        dZ = xp.empty_like(Z)
        dh, carry = gh, None
        rk_t = rkernel.T
        for t in range(self.T - 1, -1, -1):
            g_out, carry = self._output_grad(t, GY, glast, carry)
            d_new, d_pass = self._carry_state(t, dh)
            d_new = _add(d_new, g_out)
            dz = dZ[t]
            if d_new is None:
                dz[...] = 0
            else:
                dz[...] = d_new
                _scale_by_derivative(dz, Z[t], self.act)
            dh = dz @ rk_t
            if self.rmask is not None:
                dh *= self.rmask
            dh = _add(dh, d_pass)
        return self._grads(xt, dZ, H, kernel, dh, has_bias, x_shape)

    def _grads(self, xt, dZ, H, kernel, dh0, has_bias, x_shape):
        T, B, G = dZ.shape
        dZ2 = dZ.reshape(T * B, G)
        needs = self.needs
        dx = self._input_grad(dZ, kernel, x_shape) if needs[0] else None
        dk = xt.reshape(T * B, -1).T @ dZ2 if needs[2] else None
        drk = None
        if needs[3]:
            hprev = _recurrent_input(H[:-1], self.rmask)
            drk = hprev.reshape(T * B, -1).T @ dZ2
        grads = [dx, dh0 if needs[1] else None, dk, drk]
        if has_bias:
            grads.append(dZ2.sum(axis=0) if needs[4] else None)
        return tuple(grads)


# -- LSTM ---------------------------------------------------------------------------------------
class LSTMSequence(_Recurrence):
    """Keras's LSTM (gates i, f, c, o). Inputs: x (B, T, D), h0, c0 (B, U),
    kernel (D, 4U), recurrent_kernel (U, 4U)[, bias (4U,)]."""

    n_states = 2

    def forward(self, x, h0, c0, kernel, rkernel, bias=None):
        xt = self._time_major(x)
        T, B = xt.shape[:2]
        U = self.units
        self.T = T
        G = self._project(xt, kernel, bias)  # (T, B, 4U): becomes the activated gates
        H = xp.empty((T + 1, B, U), dtype=x.dtype)
        C = xp.empty((T + 1, B, U), dtype=x.dtype)
        TC = xp.empty((T, B, U), dtype=x.dtype)  # act(c_new)
        H[0], C[0] = h0, c0
        Y = xp.empty((T, B, U), dtype=x.dtype) if self._mt is not None else None
        act, ract = ACTIVATIONS[self.act][0], ACTIVATIONS[self.ract][0]
        masked = self._mt is not None
        c_new = xp.empty((B, U), dtype=x.dtype)
        h_new = xp.empty((B, U), dtype=x.dtype)
        for t in range(T):
            g = G[t]
            g += _recurrent_input(H[t], self.rmask) @ rkernel
            ract(g[:, :2 * U])
            act(g[:, 2 * U:3 * U])
            ract(g[:, 3 * U:])
            i, f, cc, o = g[:, :U], g[:, U:2 * U], g[:, 2 * U:3 * U], g[:, 3 * U:]
            cn = c_new if masked else C[t + 1]
            xp.multiply(f, C[t], out=cn)
            cn += i * cc
            tc = TC[t]
            tc[...] = cn
            act(tc)
            hn = h_new if masked else H[t + 1]
            xp.multiply(o, tc, out=hn)
            if masked:
                m = self._mt[t]
                xp.subtract(c_new, C[t], out=C[t + 1])
                C[t + 1] *= m
                C[t + 1] += C[t]
                self._masked_update(H, t, h_new, Y)
        if self.recording:
            self.saved = (xt, G, H, C, TC, kernel, rkernel, bias is not None, x.shape)
        return self._finish(H, Y, [H[T], C[T]])

    def backward(self, gy):
        xt, G, H, C, TC, kernel, rkernel, has_bias, x_shape = self.saved
        GY, glast, (gh, gc) = self._unpack(gy)
        U = self.units
        dZ = xp.empty_like(G)
        dh, dc, carry = gh, gc, None
        rk_t = rkernel.T
        B = G.shape[1]
        zero = xp.zeros((B, U), dtype=G.dtype)
        for t in range(self.T - 1, -1, -1):
            g_out, carry = self._output_grad(t, GY, glast, carry)
            dh_new, dh_pass = self._carry_state(t, dh)
            dc_new, dc_pass = self._carry_state(t, dc)
            dh_new = _add(dh_new, g_out)
            if dh_new is None:
                dh_new = zero
            g = G[t]
            i, f, cc, o = g[:, :U], g[:, U:2 * U], g[:, 2 * U:3 * U], g[:, 3 * U:]
            tc = TC[t]
            dz = dZ[t]
            di, df, dcc, do = dz[:, :U], dz[:, U:2 * U], dz[:, 2 * U:3 * U], dz[:, 3 * U:]
            xp.multiply(dh_new, tc, out=do)
            _scale_by_derivative(do, o, self.ract)
            dcn = dh_new * o
            _scale_by_derivative(dcn, tc, self.act)
            if dc_new is not None:
                dcn += dc_new
            xp.multiply(dcn, cc, out=di)
            _scale_by_derivative(di, i, self.ract)
            xp.multiply(dcn, C[t], out=df)
            _scale_by_derivative(df, f, self.ract)
            xp.multiply(dcn, i, out=dcc)
            _scale_by_derivative(dcc, cc, self.act)
            dc = dcn * f
            if dc_pass is not None:
                dc += dc_pass
            dh = dz @ rk_t
            if self.rmask is not None:
                dh *= self.rmask
            if dh_pass is not None:
                dh += dh_pass
        T = self.T
        dZ2 = dZ.reshape(T * B, 4 * U)
        needs = self.needs
        dx = self._input_grad(dZ, kernel, x_shape) if needs[0] else None
        dk = xt.reshape(T * B, -1).T @ dZ2 if needs[3] else None
        drk = None
        if needs[4]:
            drk = _recurrent_input(H[:-1], self.rmask).reshape(T * B, U).T @ dZ2
        grads = [dx, dh if needs[1] else None, dc if needs[2] else None, dk, drk]
        if has_bias:
            grads.append(dZ2.sum(axis=0) if needs[5] else None)
        return tuple(grads)


# -- GRU ----------------------------------------------------------------------------------------
class GRUSequence(_Recurrence):
    """Keras's GRU (gates z, r, h; ``h_t = z * h_{t-1} + (1 - z) * hh``). Inputs: x (B, T, D),
    h0 (B, U), kernel (D, 3U), recurrent_kernel (U, 3U)[, bias (2, 3U) with ``reset_after``,
    else (3U,)]."""

    def __init__(self, *args, reset_after=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.reset_after = reset_after

    def forward(self, x, h0, kernel, rkernel, bias=None):
        xt = self._time_major(x)
        T, B = xt.shape[:2]
        U = self.units
        self.T = T
        in_bias = rec_bias = None
        if bias is not None:
            in_bias, rec_bias = (bias[0], bias[1]) if self.reset_after else (bias, None)
        G = self._project(xt, kernel, in_bias)  # (T, B, 3U): becomes z, r, hh
        H = xp.empty((T + 1, B, U), dtype=x.dtype)
        H[0] = h0
        # reset_after: the recurrent candidate part (h @ R_h + b); else r * h (the GEMM input)
        AUX = xp.empty((T, B, U), dtype=x.dtype)
        Y = xp.empty((T, B, U), dtype=x.dtype) if self._mt is not None else None
        act, ract = ACTIVATIONS[self.act][0], ACTIVATIONS[self.ract][0]
        h_new = xp.empty((B, U), dtype=x.dtype)
        masked = self._mt is not None
        rk_zr, rk_h = rkernel[:, :2 * U], rkernel[:, 2 * U:]
        for t in range(T):
            g = G[t]
            hr = _recurrent_input(H[t], self.rmask)
            if self.reset_after:
                inner = hr @ rkernel
                if rec_bias is not None:
                    inner += rec_bias
                g[:, :2 * U] += inner[:, :2 * U]
                ract(g[:, :2 * U])
                AUX[t] = inner[:, 2 * U:]
                g[:, 2 * U:] += g[:, U:2 * U] * AUX[t]
            else:
                g[:, :2 * U] += hr @ rk_zr
                ract(g[:, :2 * U])
                xp.multiply(g[:, U:2 * U], hr, out=AUX[t])
                g[:, 2 * U:] += AUX[t] @ rk_h
            act(g[:, 2 * U:])
            z, hh = g[:, :U], g[:, 2 * U:]
            hn = h_new if masked else H[t + 1]
            # h = z * h_prev + (1 - z) * hh = hh + z * (h_prev - hh)
            xp.subtract(H[t], hh, out=hn)
            hn *= z
            hn += hh
            if masked:
                self._masked_update(H, t, h_new, Y)
        if self.recording:
            self.saved = (xt, G, H, AUX, kernel, rkernel, bias is not None, x.shape)
        return self._finish(H, Y, [H[T]])

    def backward(self, gy):
        xt, G, H, AUX, kernel, rkernel, has_bias, x_shape = self.saved
        GY, glast, (gh,) = self._unpack(gy)
        U = self.units
        T, B = G.shape[:2]
        dX = xp.empty_like(G)  # gradients of the input projections (z, r, h pre-activations)
        dI = xp.empty_like(G) if self.reset_after else None  # of the recurrent GEMM outputs
        rk_t = rkernel.T
        rk_zr_t, rk_h_t = rkernel[:, :2 * U].T, rkernel[:, 2 * U:].T
        zero = xp.zeros((B, U), dtype=G.dtype)
        dh, carry = gh, None
        for t in range(T - 1, -1, -1):
            g_out, carry = self._output_grad(t, GY, glast, carry)
            d_new, d_pass = self._carry_state(t, dh)
            d_new = _add(d_new, g_out)
            if d_new is None:
                d_new = zero
            g = G[t]
            z, r, hh = g[:, :U], g[:, U:2 * U], g[:, 2 * U:]
            dx = dX[t]
            dz, dr, dah = dx[:, :U], dx[:, U:2 * U], dx[:, 2 * U:]
            xp.subtract(H[t], hh, out=dz)
            dz *= d_new
            _scale_by_derivative(dz, z, self.ract)
            xp.subtract(1, z, out=dah)
            dah *= d_new
            _scale_by_derivative(dah, hh, self.act)
            dh_prev = d_new * z
            if self.reset_after:
                xp.multiply(dah, AUX[t], out=dr)
                _scale_by_derivative(dr, r, self.ract)
                di = dI[t]
                di[:, :2 * U] = dx[:, :2 * U]
                xp.multiply(dah, r, out=di[:, 2 * U:])
                dhr = di @ rk_t
            else:
                drh = dah @ rk_h_t
                hr = _recurrent_input(H[t], self.rmask)
                xp.multiply(drh, hr, out=dr)
                _scale_by_derivative(dr, r, self.ract)
                dhr = dx[:, :2 * U] @ rk_zr_t
                dhr += drh * r
            if self.rmask is not None:
                dhr *= self.rmask
            dh_prev += dhr
            if d_pass is not None:
                dh_prev += d_pass
            dh = dh_prev
        needs = self.needs
        dX2 = dX.reshape(T * B, 3 * U)
        dx_in = self._input_grad(dX, kernel, x_shape) if needs[0] else None
        dk = xt.reshape(T * B, -1).T @ dX2 if needs[2] else None
        drk = db = None
        hprev = _recurrent_input(H[:-1], self.rmask).reshape(T * B, U)
        if self.reset_after:
            dI2 = dI.reshape(T * B, 3 * U)
            if needs[3]:
                drk = hprev.T @ dI2
            if has_bias and needs[4]:
                db = xp.stack([dX2.sum(axis=0), dI2.sum(axis=0)])
        else:
            if needs[3]:
                drk = xp.concatenate([hprev.T @ dX2[:, :2 * U],
                                      AUX.reshape(T * B, U).T @ dX2[:, 2 * U:]], axis=1)
            if has_bias and needs[4]:
                db = dX2.sum(axis=0)
        grads = [dx_in, dh if needs[1] else None, dk, drk]
        if has_bias:
            grads.append(db)
        return tuple(grads)


def rnn_sequence(kind, x, states, kernel, recurrent_kernel, bias=None, *, units,
                 activation="tanh", recurrent_activation="sigmoid", mask=None,
                 recurrent_mask=None, go_backwards=False, return_sequences=False,
                 return_state=False, zero_output_for_mask=False, reset_after=True):
    """Run a whole recurrent sequence as one op.

    Args:
        kind: ``"simple_rnn"``, ``"lstm"`` or ``"gru"``.
        x: (batch, steps, features). states: the initial states, [h] or [h, c] (LSTM).
        kernel, recurrent_kernel, bias: Keras's weight layout for ``kind``.
        activation, recurrent_activation: names from ``ACTIVATIONS``.
        mask: (batch, steps) booleans or None. recurrent_mask: (batch, units) or None.

    Returns:
        A Tensor: outputs (batch, steps, units) or (batch, units); with ``return_state`` the
        final states follow along axis 1 (see the module docstring).
    """
    if kind == "simple_rnn":
        cls, kw = SimpleRNNSequence, {}
    elif kind == "lstm":
        cls, kw = LSTMSequence, {}
    elif kind == "gru":
        cls, kw = GRUSequence, {"reset_after": reset_after}
    else:
        raise ValueError(f"rnn_sequence: unknown kind {kind!r}")
    for name in (activation, recurrent_activation):
        if name not in ACTIVATIONS:
            raise ValueError(f"rnn_sequence: activation {name!r} is not fused; supported: "
                             f"{sorted(ACTIVATIONS)}")
    op = cls(units, activation, recurrent_activation, mask=mask, recurrent_mask=recurrent_mask,
             go_backwards=go_backwards, return_sequences=return_sequences,
             return_state=return_state, zero_output_for_mask=zero_output_for_mask, **kw)
    args = [x, *states, kernel, recurrent_kernel]
    if bias is not None:
        args.append(bias)
    return op.apply(*args)


__all__ = ["rnn_sequence", "supported_activation", "ACTIVATIONS"]
