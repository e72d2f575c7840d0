package io.ringtrain.model;

/**
 * Shape of a GPT-2 model. {@code paddedVocabSize} is the number of rows of the token embedding
 * (and columns of the logits): the real vocabulary rounded up so the LM-head matmul works on
 * friendly sizes (llm.c pads 50257 to 50304). Padding rows are never predicted.
 */
public record GptConfig(int nLayer, int nHead, int nEmbd, int blockSize, int vocabSize,
    int paddedVocabSize) {

  /**
   * Multiple the vocabulary is padded to unless told otherwise: here and as the job spec's
   * {@code vocab_pad_multiple} default, so one shape has one layout whichever factory builds it.
   * GPT-2's 50257 pads to llm.c's 50304 with it, as with llm.c's 128.
   */
  public static final int DEFAULT_VOCAB_MULTIPLE = 64;

  public GptConfig {
    requirePositive("nLayer", nLayer);
    requirePositive("nHead", nHead);
    requirePositive("nEmbd", nEmbd);
    requirePositive("blockSize", blockSize);
    requirePositive("vocabSize", vocabSize);
    if (nEmbd % nHead != 0) {
      throw new IllegalArgumentException(
          "nEmbd (" + nEmbd + ") must be a multiple of nHead (" + nHead + ")");
    }
    if (paddedVocabSize < vocabSize) {
      throw new IllegalArgumentException("paddedVocabSize (" + paddedVocabSize
          + ") must be at least vocabSize (" + vocabSize + ")");
    }
  }

  /** Config with the vocabulary padded up to a multiple of {@link #DEFAULT_VOCAB_MULTIPLE}. */
  public static GptConfig of(int nLayer, int nHead, int nEmbd, int blockSize, int vocabSize) {
    return of(nLayer, nHead, nEmbd, blockSize, vocabSize, DEFAULT_VOCAB_MULTIPLE);
  }

  /** Config with the vocabulary padded up to a multiple of {@code vocabMultiple}. */
  public static GptConfig of(int nLayer, int nHead, int nEmbd, int blockSize, int vocabSize,
      int vocabMultiple) {
    requirePositive("vocabMultiple", vocabMultiple);
    requirePositive("vocabSize", vocabSize);
    int padded = (int) (((long) vocabSize + vocabMultiple - 1) / vocabMultiple * vocabMultiple);
    return new GptConfig(nLayer, nHead, nEmbd, blockSize, vocabSize, padded);
  }

  public int headSize() {
    return nEmbd / nHead;
  }

  /** {@link #params(int, int, int, int)} of this shape: the count {@link ParameterLayout} reports. */
  public long params() {
    return params(nLayer, nEmbd, blockSize, vocabSize);
  }

  /**
   * Parameters as the model stores them with the real (unpadded) vocabulary: token embeddings V·C
   * (tied with the LM head, so counted once), position embeddings T·C, per layer 12C² + 13C (fused
   * QKV 3C²+3C, attention projection C²+C, MLP 4C²+4C and 4C²+C, two LayerNorms 4C), and the final
   * LayerNorm 2C. Any shape, even one too large to build: throws ArithmeticException past
   * Long.MAX_VALUE rather than wrap.
   */
  public static long params(int nLayer, int nEmbd, int blockSize, int vocabSize) {
    return Math.addExact(Math.multiplyExact((long) vocabSize + blockSize, nEmbd), nonEmbeddingParams(nLayer, nEmbd));
  }

  /** {@link #params(int, int, int, int)} without the token and position embeddings (Kaplan et al.'s N). */
  public static long nonEmbeddingParams(int nLayer, int nEmbd) {
    long c = nEmbd;
    return Math.addExact(Math.multiplyExact(nLayer, Math.addExact(Math.multiplyExact(12 * c, c), 13 * c)), 2 * c);
  }

  private static void requirePositive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, got " + value);
    }
  }
}
