package io.jsteer.steering.capture;

import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.steering.data.SharedData;

/** stories260K (the real shared weights) with its tokenizer. */
public final class StoriesModel {

    private StoriesModel() {}

    public static LoadedModel load() {
        return ModelLoader.load(SharedData.path("models/stories260K.bin"), SharedData.path("models/tok512.bin"));
    }
}
