package io.jsteer.steering.kts.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The spec §7 comparison at matched target effect: for each steered point of {@code model}, the
 * benign KL the reference model needs for the same Δ log-odds, by linear interpolation along the
 * reference curve on the same side of c = 0 (walking outwards from c = 0; the first segment that
 * brackets the effect is used, since the curve can turn back at large |c|).
 *
 * @param model            the compared model ("kts")
 * @param factor           its c / c_max
 * @param logOddsChange    its Δ log-odds (the matched effect)
 * @param benignKl         its benign KL
 * @param referenceKl      the reference's benign KL at the same Δ log-odds (NaN when its curve never reaches it)
 * @param ratio            benignKl / referenceKl (below 1: the model pays less for the same effect)
 */
public record MatchedEffect(String model, double factor, double logOddsChange, double benignKl, double referenceKl,
                            double ratio) {

    public static List<MatchedEffect> compute(List<TradeOffPoint> points, String model, String reference) {
        List<MatchedEffect> out = new ArrayList<>();
        for (TradeOffPoint p : points) {
            if (!p.model().equals(model) || p.factor() == 0) {
                continue;
            }
            double sign = Math.signum(p.factor());
            List<TradeOffPoint> curve = points.stream()
                    .filter(q -> q.model().equals(reference) && (q.factor() == 0 || Math.signum(q.factor()) == sign))
                    .sorted(Comparator.comparingDouble(q -> Math.abs(q.factor()))).toList();
            double ref = interpolate(curve, p.logOddsChange());
            out.add(new MatchedEffect(model, p.factor(), p.logOddsChange(), p.benignKl(), ref, p.benignKl() / ref));
        }
        return out;
    }

    /** KL at Δ log-odds {@code effect} on the first bracketing segment of {@code curve} (ordered outwards), else NaN. */
    static double interpolate(List<TradeOffPoint> curve, double effect) {
        for (int i = 0; i + 1 < curve.size(); i++) {
            TradeOffPoint a = curve.get(i), b = curve.get(i + 1);
            double lo = Math.min(a.logOddsChange(), b.logOddsChange()), hi = Math.max(a.logOddsChange(), b.logOddsChange());
            if (effect >= lo && effect <= hi) {
                if (hi == lo) {
                    return Math.min(a.benignKl(), b.benignKl());
                }
                double t = (effect - a.logOddsChange()) / (b.logOddsChange() - a.logOddsChange());
                return a.benignKl() + t * (b.benignKl() - a.benignKl());
            }
        }
        return Double.NaN;
    }
}
