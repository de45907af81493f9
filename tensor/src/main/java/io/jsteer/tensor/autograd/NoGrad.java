package io.jsteer.tensor.autograd;

/** A scope in which a {@link Tape} records nothing; see {@link Tape#noGrad()}. */
public interface NoGrad extends AutoCloseable {
    @Override
    void close();
}
