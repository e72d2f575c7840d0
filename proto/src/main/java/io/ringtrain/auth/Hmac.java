package io.ringtrain.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HMAC-SHA256 challenge-response: proves a peer holds the job's secret without sending it. */
public final class Hmac {
  private static final SecureRandom RANDOM = new SecureRandom();

  private Hmac() {}

  public static byte[] nonce() {
    byte[] n = new byte[32];
    RANDOM.nextBytes(n);
    return n;
  }

  /** HMAC-SHA256(secret, parts[0] || parts[1] || ...). */
  public static byte[] sign(String secret, byte[]... parts) {
    return sign(secret.getBytes(StandardCharsets.UTF_8), parts);
  }

  /** As {@link #sign(String, byte[]...)} with the secret's bytes; an empty secret is one zero byte. */
  public static byte[] sign(byte[] secret, byte[]... parts) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.length == 0 ? new byte[1] : secret, "HmacSHA256"));
      for (byte[] p : parts) mac.update(p);
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }

  /** Constant-time comparison, so timing does not leak how much of a forged answer was right. */
  public static boolean verify(String secret, byte[] answer, byte[]... parts) {
    return verify(secret.getBytes(StandardCharsets.UTF_8), answer, parts);
  }

  public static boolean verify(byte[] secret, byte[] answer, byte[]... parts) {
    return MessageDigest.isEqual(sign(secret, parts), answer);
  }

  /** A fresh random secret for jobs whose spec gives none. */
  public static String newSecret() {
    return java.util.HexFormat.of().formatHex(nonce());
  }
}
