package io.jsteer.cli;

import io.jsteer.model.intervene.Site;
import io.jsteer.steering.mat.Bandwidth;
import io.jsteer.steering.mat.MatLoss;
import io.jsteer.steering.mat.MatTrainingJob;
import io.jsteer.steering.mat.TrainConfig;
import io.jsteer.steering.mat.TrainTokens;
import io.jsteer.steering.mat.tasks.TaskSource;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** The MAT-Steer training settings shared by {@code mat train} and {@code mat ablate} (defaults: the paper's QA run). */
final class MatTrainOptions {

    @Option(names = "--site", paramLabel = "SITE",
            description = "where gates read and edits act: attn_heads:L (o_proj input, default) or resid_post:L; "
                    + "default layer ⌊0.44·blocks⌋ (14 of 32 as in the paper)")
    String site;

    @Option(names = "--tokens", paramLabel = "answer|last|all|diff|contrast", defaultValue = "answer",
            description = "features: every answer token of each sample (answer, the default: the paper trains on the answers' tokens, "
                    + "each labelled with its answer's polarity), the last token of each sample (last, the reference code), every token "
                    + "(all; the shared question tokens then fall in both pools), the answer tokens that the item's opposite answers "
                    + "lack (diff: the words that carry the attribute as negatives; positives are the desirable answers and the "
                    + "question), or those differing words on both sides (contrast)")
    String tokens;

    @Option(names = "--train-items", paramLabel = "N", description = "at most N train questions per task (default: all)")
    Integer trainItems;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "100", description = "epochs (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--batch-size", paramLabel = "B",
            description = "B; k = min(⌊B/2T⌋, smallest pool) rows per attribute and polarity (default: the paper's 96 for the QA "
                    + "tasks, 160 for helpsteer)")
    Integer batchSize;

    @Option(names = "--lr", paramLabel = "X", defaultValue = "1e-3", description = "Adam learning rate (default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--sigma", paramLabel = "X|median", defaultValue = "2",
            description = "Gaussian kernel bandwidth, or 'median' for the median pairwise distance (default: ${DEFAULT-VALUE})")
    String sigma;

    @Option(names = "--lambda-mmd", paramLabel = "X", defaultValue = "1") double lambdaMmd;
    @Option(names = "--lambda-pos", paramLabel = "X") Double lambdaPos;
    @Option(names = "--lambda-sparse", paramLabel = "X") Double lambdaSparse;
    @Option(names = "--lambda-ortho", paramLabel = "X", defaultValue = "0.1",
            description = "loss weights (defaults: the paper's QA values 1, 0.9, 0.9, 0.1; for helpsteer its generation values "
                    + "1, 0.8, 0.8, 0.1)") double lambdaOrtho;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "splits, initialisation and sampling (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--ctx-size", paramLabel = "N", defaultValue = "2048",
            description = "KV-cache positions, capped at the model's context (default: ${DEFAULT-VALUE})")
    int ctxSize;

    @Option(names = "--theta-norm", paramLabel = "X", defaultValue = "0",
            description = "hold every steering vector at norm X during training (default 0: free, as the paper); the gate "
                    + "penalties then cannot be met by shrinking gates and growing vectors, so a gate of 1 means the whole edit. "
                    + "Pick X near the CAA vectors' norms (printed by mat train)")
    double thetaNorm;

    @Option(names = "--theta-init", paramLabel = "random|caa", defaultValue = "random",
            description = "start every steering vector at random (default, the paper code's N(0, I)) or at its attribute's CAA mean "
                    + "difference (caa): the loss treats all attributes alike, so only a start on each attribute's own direction "
                    + "makes gate t the gate of attribute t")
    String thetaInit;

    @Option(names = "--no-norm-preserve",
            description = "do not rescale edited activations to their norms (the paper's Table 3 'minus normalisation' ablation; "
                    + "such a module runs only under mat eval/ablate)")
    boolean noNormPreserve;

    TrainConfig config() {
        return config(false);
    }

    /** The settings given, with the paper's defaults of the QA tasks or, for {@code generation}, of HelpSteer (spec §2–§3). */
    TrainConfig config(boolean generation) {
        TrainConfig paper = generation ? TrainConfig.generation() : TrainConfig.defaults();
        double pos = lambdaPos != null ? lambdaPos : paper.weights().pos(), sparse = lambdaSparse != null ? lambdaSparse : paper.weights().sparse();
        return new TrainConfig(new MatLoss.Weights(lambdaMmd, pos, sparse, lambdaOrtho), Bandwidth.parse(sigma),
                batchSize != null ? batchSize : paper.batchSize(), epochs, lr, seed, thetaNorm, TrainConfig.ThetaInit.parse(thetaInit),
                !noNormPreserve);
    }

    TrainTokens tokens() { return TrainTokens.parse(tokens); }

    /** --train-items, or {@code fallback} when not given. */
    int trainItems(int fallback) {
        return trainItems == null ? fallback : MatDataOptions.positive("--train-items", trainItems);
    }

    /** The site given, or the default layer of the model's depth. */
    Site site(int nLayers) {
        return site != null ? Site.parse(site) : MatSites.defaultSite(nLayers);
    }

    MatTrainingJob.Request request(List<TaskSource> tasks, Path dataDir, int nLayers, Path cache) {
        MatDataOptions.positive("--ctx-size", ctxSize);
        if (tasks.contains(io.jsteer.steering.mat.tasks.MatTask.BBQ)) {
            List<String> missing = io.jsteer.steering.mat.tasks.Bbq.missingCategories(dataDir.resolve("bbq"));
            if (!missing.isEmpty()) {
                // not an error (any subset is a valid task), but the paper's numbers are over all 11 categories
                System.err.println("mat: bbq: " + (11 - missing.size()) + " of the 11 official categories in " + dataDir.resolve("bbq")
                        + " (the paper uses all; missing: " + String.join(", ", missing) + ")");
            }
        }
        return new MatTrainingJob.Request(tasks, dataDir, site(nLayers),
                trainItems == null ? Integer.MAX_VALUE : MatDataOptions.positive("--train-items", trainItems), config(), cache,
                TrainTokens.parse(tokens), true);
    }
}
