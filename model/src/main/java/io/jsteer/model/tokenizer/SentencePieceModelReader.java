package io.jsteer.model.tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a SentencePiece {@code tokenizer.model} (a serialized {@code sentencepiece.ModelProto}).
 * Only what tokenization needs: {@code pieces} (field 1: piece=1, score=2, type=3) and from
 * {@code trainer_spec} (field 2) the model type (3) and the unk/bos/eos ids (40/41/42).
 */
public final class SentencePieceModelReader {
    private static final int MODEL_TYPE_BPE = 2;

    private SentencePieceModelReader() {
    }

    public static Vocabulary read(Path path) {
        return parse(path.toString(), TokenizerFiles.readAll(path));
    }

    private record Piece(String text, float score, int type) {
    }

    static Vocabulary parse(String source, byte[] data) {
        ProtobufReader in = new ProtobufReader(source, data);
        List<Piece> pieces = new ArrayList<>();
        int unk = 0;
        int bos = 1;
        int eos = 2;
        int modelType = 1; // SentencePiece's default is UNIGRAM
        while (in.hasMore()) {
            int tag = in.readTag("ModelProto");
            int field = tag >>> 3;
            if (field == 1 && (tag & 7) == ProtobufReader.LENGTH_DELIMITED) {
                pieces.add(readPiece(source, in.readMessage("pieces[" + pieces.size() + "]"), pieces.size()));
            } else if (field == 2 && (tag & 7) == ProtobufReader.LENGTH_DELIMITED) {
                ProtobufReader spec = in.readMessage("trainer_spec");
                while (spec.hasMore()) {
                    int specTag = spec.readTag("trainer_spec");
                    int specField = specTag >>> 3;
                    if ((specTag & 7) != ProtobufReader.VARINT || !List.of(3, 40, 41, 42).contains(specField)) {
                        spec.skip(specTag, "trainer_spec field " + specField);
                        continue;
                    }
                    int value = (int) spec.readVarint("trainer_spec field " + specField);
                    switch (specField) {
                        case 3 -> modelType = value;
                        case 40 -> unk = value;
                        case 41 -> bos = value;
                        default -> eos = value;
                    }
                }
            } else {
                in.skip(tag, "ModelProto field " + field);
            }
        }
        if (pieces.isEmpty()) {
            throw new TokenizerFormatException(source, "pieces", "no pieces found: not a SentencePiece model");
        }
        if (modelType != MODEL_TYPE_BPE) {
            throw new TokenizerFormatException(source, "trainer_spec.model_type",
                    "model type " + modelType + " is not BPE (2); only SentencePiece BPE is supported");
        }
        int n = pieces.size();
        String[] texts = new String[n];
        float[] scores = new float[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            texts[i] = pieces.get(i).text;
            scores[i] = pieces.get(i).score;
            types[i] = pieces.get(i).type;
        }
        // SentencePiece uses -1 for "no such token"; anything else must be a valid id.
        try {
            return new Vocabulary(Vocabulary.Kind.SENTENCEPIECE_BPE, texts, scores, types, List.of(),
                    Math.max(bos, -1), Math.max(eos, -1), Math.max(unk, -1), true, "default");
        } catch (TokenizerFormatException e) {
            throw new TokenizerFormatException(source, "trainer_spec", e.getMessage(), e);
        }
    }

    private static Piece readPiece(String source, ProtobufReader in, int index) {
        String text = null;
        float score = 0;
        int type = TokenType.NORMAL;
        String context = "pieces[" + index + "]";
        while (in.hasMore()) {
            int tag = in.readTag(context);
            switch (tag) {
                case 1 << 3 | ProtobufReader.LENGTH_DELIMITED -> text = in.readString(context + ".piece");
                case 2 << 3 | ProtobufReader.FIXED32 -> score = in.readFloat(context + ".score");
                case 3 << 3 | ProtobufReader.VARINT -> {
                    long t = in.readVarint(context + ".type");
                    if (t < TokenType.NORMAL || t > TokenType.BYTE) {
                        throw new TokenizerFormatException(source, context + ".type", "unknown piece type " + t);
                    }
                    type = (int) t;
                }
                default -> in.skip(tag, context);
            }
        }
        if (text == null) {
            throw new TokenizerFormatException(source, context + ".piece", "piece text is missing");
        }
        return new Piece(text, score, type);
    }
}
