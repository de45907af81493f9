package io.jsteer.steering.vectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A vector set becomes steering in one place: one AddVector per chosen layer, in the order asked. */
class VectorSetInterventionsTest {

    @Test
    void oneScaledAddPerChosenLayerAtTheSetsSiteKind() {
        VectorSet set = VectorSetFilesTest.sample(16, SiteKind.MLP_OUT, 1, 2, 3);
        InterventionSet steering = set.interventions(List.of(3, 1), -2.5, Positions.GENERATED);
        assertEquals(2, steering.items().size());
        int k = 0;
        for (int layer : List.of(3, 1)) {
            AddVector add = (AddVector) steering.items().get(k++);
            assertEquals(new Site(SiteKind.MLP_OUT, layer), add.site());
            assertEquals(-2.5, add.strength());
            assertEquals(Positions.GENERATED, add.positions());
            float[] v = set.vector(layer);
            for (int i = 0; i < v.length; i++) {
                assertEquals(v[i], add.vector().get(i));
            }
        }
        assertEquals(0, set.interventions(List.of(), 1, Positions.ALL).items().size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> set.interventions(List.of(1, 7), 1, Positions.ALL));
        assertEquals("the vector set has no layer 7 (layers [1, 2, 3])", e.getMessage());
    }
}
