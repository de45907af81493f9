package io.jsteer.steering.mat;

import java.util.Locale;

/** Values of the four loss terms (unweighted) and the weighted total. */
public record LossReport(double mmd, double pos, double sparse, double ortho, double total) {

    static LossReport of(MatLoss.Terms t) {
        return new LossReport(t.mmd().item(), t.pos().item(), t.sparse().item(), t.ortho().item(), t.total().item());
    }

    LossReport plus(LossReport o) {
        return new LossReport(mmd + o.mmd, pos + o.pos, sparse + o.sparse, ortho + o.ortho, total + o.total);
    }

    LossReport times(double c) {
        return new LossReport(mmd * c, pos * c, sparse * c, ortho * c, total * c);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "total %.4f  mmd %.4f  pos %.4f  sparse %.4f  ortho %.4g", total, mmd, pos, sparse, ortho);
    }
}
