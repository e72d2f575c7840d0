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

  private static void requirePositive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, got " + value);
    }
  }
}
