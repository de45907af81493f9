package io.jsteer.steering.mat.tasks;

/** A text of one attribute, positive (desirable) or negative. */
public record Sample(String attribute, String text, boolean positive) {}
