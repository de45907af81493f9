package io.jsteer.model.chat;

import java.util.Arrays;

/** A growable int array for assembling prompts. */
final class TokenSequence {
    private int[] ids = new int[64];
    private int size;

    TokenSequence add(int id) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
        }
        ids[size++] = id;
        return this;
    }

    TokenSequence addAll(int[] more) {
        for (int id : more) {
            add(id);
        }
        return this;
    }

    int[] toArray() {
        return Arrays.copyOf(ids, size);
    }
}
