package io.jsteer.cli;

/** Which inference engines this build has. */
final class Engines {

    private Engines() {}

    static void requireSupported(String engine) {
        switch (engine) {
            case "cpu" -> { }
            case "tornado" -> throw new IllegalArgumentException("--engine tornado: this build has no TornadoVM engine. "
                    + "Install the TornadoVM SDK (see README, 'Running on the GPU with TornadoVM'), then build with "
                    + "./mvnw -Ptornado package and run through the tornado launcher");
            default -> throw new IllegalArgumentException("--engine must be cpu or tornado, got '" + engine + "'");
        }
    }
}
