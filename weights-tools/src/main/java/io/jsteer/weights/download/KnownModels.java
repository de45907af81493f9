package io.jsteer.weights.download;

import java.util.List;

/** Files jsteer knows how to fetch and verify. Sizes and sha256s as in shared/models/MANIFEST.md. */
public final class KnownModels {

    private KnownModels() {}

    /** Karpathy's tinyllamas repository on Hugging Face; {@code resolve/main} serves raw files. */
    public static final String DEFAULT_BASE_URL = "https://huggingface.co/karpathy/tinyllamas/resolve/main/";

    public static final KnownModel STORIES_260K = new KnownModel("stories260K", "stories260K/stories260K.bin",
            "stories260K.bin", 1056540, "b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696");

    public static final KnownModel TOK512 = new KnownModel("tok512", "stories260K/tok512.bin",
            "tok512.bin", 6227, "037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312");

    public static List<KnownModel> all() {
        return List.of(STORIES_260K, TOK512);
    }

    public static KnownModel byName(String name) {
        for (KnownModel m : all()) {
            if (m.name().equalsIgnoreCase(name) || m.fileName().equalsIgnoreCase(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown model '" + name + "' (known: "
                + all().stream().map(KnownModel::name).toList() + ")");
    }
}
