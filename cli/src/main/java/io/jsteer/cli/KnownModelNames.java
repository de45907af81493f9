package io.jsteer.cli;

import io.jsteer.weights.download.KnownModel;
import io.jsteer.weights.download.KnownModels;
import java.util.List;

/** Names {@code jsteer pull} knows, and which files each needs (a model with its tokenizer). */
final class KnownModelNames {

    private KnownModelNames() {}

    static boolean isKnown(String name) {
        return KnownModels.all().stream().anyMatch(m -> m.name().equalsIgnoreCase(name));
    }

    /** The files to fetch for {@code name}: stories260K comes with tok512, its tokenizer. */
    static List<KnownModel> filesFor(String name) {
        KnownModel m = KnownModels.byName(name);
        if (m == KnownModels.STORIES_260K) {
            return List.of(KnownModels.STORIES_260K, KnownModels.TOK512);
        }
        return List.of(m);
    }
}
