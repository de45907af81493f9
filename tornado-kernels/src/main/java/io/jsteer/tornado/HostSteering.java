package io.jsteer.tornado;

import io.jsteer.model.intervene.ActivationHook;
import io.jsteer.model.intervene.HostEdit;
import io.jsteer.model.intervene.Intervention;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.tensor.Kernels;
import java.util.ArrayList;
import java.util.List;

/**
 * The CPU twins of the {@link DeviceEdit}s as Java edits, so that a {@link io.jsteer.model.CpuEngine}
 * steered with {@link #toInterventions} is the reference the device kernels are checked against.
 */
public final class HostSteering {

    private HostSteering() {}

    /** Edits that apply {@code edits} in order on the CPU, for {@code setInterventions}. */
    public static InterventionSet toInterventions(List<DeviceEdit> edits, int nLayers, int dim) {
        List<Intervention> out = new ArrayList<>();
        for (DeviceEdit e : edits) {
            e.check(dim, nLayers);
            switch (e) {
                case DeviceEdit.AddVector a -> out.add(edit(a.site(), "add", (site, pos, inPrompt, x) -> addScaled(x, a.vector(), a.strength())));
                case DeviceEdit.Ablation a -> out.add(edit(a.site(), "ablate", (site, pos, inPrompt, x) -> ablate(x, a.direction(), a.strength())));
                case DeviceEdit.MatSteer m -> out.add(edit(m.site(), "mat", (site, pos, inPrompt, x) -> matSteer(x, m)));
                case DeviceEdit.LoraOutputProjection l -> {
                    // the side path reads o_proj's input (attn_heads) and adds to its output (attn_out)
                    float[] input = new float[dim];
                    out.add(edit(new Site(SiteKind.ATTN_HEADS, l.layer()), "lora input",
                            (site, pos, inPrompt, x) -> System.arraycopy(x, 0, input, 0, dim)));
                    out.add(edit(l.site(), "lora", (site, pos, inPrompt, x) -> lora(x, input, l)));
                }
            }
        }
        return new InterventionSet(out);
    }

    private static HostEdit edit(Site site, String label, ActivationHook hook) {
        return new HostEdit(site, "host twin of a device " + label + " edit", -1, gates -> hook);
    }

    static void addScaled(float[] x, float[] v, float strength) {
        for (int i = 0; i < v.length; i++) {
            x[i] += strength * v[i];
        }
    }

    static void ablate(float[] x, float[] unit, float strength) {
        float c = strength * Kernels.dot(x, 0, unit, 0, unit.length);
        for (int i = 0; i < unit.length; i++) {
            x[i] -= c * unit[i];
        }
    }

    static void matSteer(float[] a, DeviceEdit.MatSteer m) {
        int dim = m.theta()[0].length;
        float norm = (float) Math.sqrt(Kernels.dot(a, 0, a, 0, dim));
        float[] gates = new float[m.attributes()];
        for (int t = 0; t < gates.length; t++) {
            float logit = Kernels.dot(m.gateWeights()[t], 0, a, 0, dim) + m.gateBias()[t];
            gates[t] = (float) (1.0 / (1.0 + Math.exp(-logit)));
        }
        for (int j = 0; j < dim; j++) {
            for (int t = 0; t < gates.length; t++) {
                a[j] += gates[t] * m.theta()[t][j];
            }
        }
        float edited = (float) Math.sqrt(Kernels.dot(a, 0, a, 0, dim));
        if (edited > 1e-8f) {
            float f = norm / (edited + 1e-8f);
            for (int j = 0; j < dim; j++) {
                a[j] *= f;
            }
        }
    }

    static void lora(float[] out, float[] input, DeviceEdit.LoraOutputProjection l) {
        int rank = l.rank();
        float[] down = new float[rank];
        for (int r = 0; r < rank; r++) {
            down[r] = Kernels.dot(l.a()[r], 0, input, 0, input.length);
        }
        for (int i = 0; i < l.b().length; i++) {
            out[i] += l.scale() * Kernels.dot(l.b()[i], 0, down, 0, rank);
        }
    }
}
