package io.jsteer.steering.data;

/** A word (or phrase) of a sentiment lexicon such as AFINN and its valence (AFINN: −5 … +5). */
public record LexiconEntry(String term, int valence) {}
