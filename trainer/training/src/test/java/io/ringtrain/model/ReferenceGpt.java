package io.ringtrain.model;

import java.util.HashMap;
import java.util.Map;

/**
 * A plain double-precision GPT-2, forward and backward, written independently of the main code
 * (nothing shared but the tensor names): loops over explicit indices, softmax backward through
 * its full Jacobian, no padding (only the real vocabulary exists here).
 */
final class ReferenceGpt {
  final int nLayer;
  final int nHead;
  final int c;
  final int vocab;
  final Map<String, double[]> p = new HashMap<>();
  final Map<String, double[]> g = new HashMap<>();

  ReferenceGpt(int nLayer, int nHead, int c, int vocab) {
    this.nLayer = nLayer;
    this.nHead = nHead;
    this.c = c;
    this.vocab = vocab;
  }

  private double[] grad(String name) {
    return g.computeIfAbsent(name, k -> new double[p.get(k).length]);
  }

  /** Mean cross-entropy loss; when backward, also fills g with fresh gradients. */
  double run(int[] in, int[] tg, int B, int T, boolean backward) {
    g.clear();
    int n = B * T;
    double[] wte = p.get("wte");
    double[] wpe = p.get("wpe");
    double[] x = new double[n * c];
    for (int b = 0; b < B; b++) {
      for (int t = 0; t < T; t++) {
        for (int i = 0; i < c; i++) {
          x[(b * T + t) * c + i] = wte[in[b * T + t] * c + i] + wpe[t * c + i];
        }
      }
    }
    // Saved per layer for the backward pass.
    double[][] xin = new double[nLayer][];
    double[][] ln1 = new double[nLayer][];
    double[][] qkv = new double[nLayer][];
    double[][] att = new double[nLayer][];
    double[][] y = new double[nLayer][];
    double[][] x2 = new double[nLayer][];
    double[][] ln2 = new double[nLayer][];
    double[][] h = new double[nLayer][];
    double[][] gl = new double[nLayer][];
    for (int l = 0; l < nLayer; l++) {
      String pre = "h" + l + ".";
      xin[l] = x;
      ln1[l] = layerNorm(x, p.get(pre + "ln1w"), p.get(pre + "ln1b"), n);
      qkv[l] = linear(ln1[l], p.get(pre + "qkvw"), p.get(pre + "qkvb"), n, c, 3 * c);
      att[l] = new double[B * nHead * T * T];
      y[l] = attention(qkv[l], att[l], B, T);
      double[] ap = linear(y[l], p.get(pre + "attprojw"), p.get(pre + "attprojb"), n, c, c);
      x2[l] = add(x, ap);
      ln2[l] = layerNorm(x2[l], p.get(pre + "ln2w"), p.get(pre + "ln2b"), n);
      h[l] = linear(ln2[l], p.get(pre + "fcw"), p.get(pre + "fcb"), n, c, 4 * c);
      gl[l] = new double[h[l].length];
      for (int i = 0; i < h[l].length; i++) {
        gl[l][i] = gelu(h[l][i]);
      }
      double[] fp = linear(gl[l], p.get(pre + "fcprojw"), p.get(pre + "fcprojb"), n, 4 * c, c);
      x = add(x2[l], fp);
    }
    double[] lnf = layerNorm(x, p.get("lnfw"), p.get("lnfb"), n);
    double loss = 0;
    double[] dlnf = new double[n * c];
    double[] dwte = backward ? grad("wte") : null;
    for (int r = 0; r < n; r++) {
      double[] logit = new double[vocab];
      double max = Double.NEGATIVE_INFINITY;
      for (int v = 0; v < vocab; v++) {
        double s = 0;
        for (int i = 0; i < c; i++) {
          s += lnf[r * c + i] * wte[v * c + i];
        }
        logit[v] = s;
        max = Math.max(max, s);
      }
      double z = 0;
      for (int v = 0; v < vocab; v++) {
        z += Math.exp(logit[v] - max);
      }
      loss += -(logit[tg[r]] - max - Math.log(z));
      if (backward) {
        for (int v = 0; v < vocab; v++) {
          double dl = (Math.exp(logit[v] - max) / z - (v == tg[r] ? 1 : 0)) / n;
          for (int i = 0; i < c; i++) {
            dlnf[r * c + i] += dl * wte[v * c + i];
            dwte[v * c + i] += dl * lnf[r * c + i];
          }
        }
      }
    }
    loss /= n;
    if (!backward) {
      return loss;
    }
    double[] dx = layerNormBack(dlnf, x, p.get("lnfw"), grad("lnfw"), grad("lnfb"), n);
    for (int l = nLayer - 1; l >= 0; l--) {
      String pre = "h" + l + ".";
      // x_out = x2 + fcproj(gelu(fc(ln2(x2)))); x2 = x_in + attproj(attn(qkv(ln1(x_in)))).
      double[] dgl = linearBack(dx, gl[l], p.get(pre + "fcprojw"), grad(pre + "fcprojw"),
          grad(pre + "fcprojb"), n, 4 * c, c);
      double[] dh = new double[dgl.length];
      for (int i = 0; i < dh.length; i++) {
        dh[i] = dgl[i] * geluGrad(h[l][i]);
      }
      double[] dln2 = linearBack(dh, ln2[l], p.get(pre + "fcw"), grad(pre + "fcw"),
          grad(pre + "fcb"), n, c, 4 * c);
      double[] dx2 = add(dx, layerNormBack(dln2, x2[l], p.get(pre + "ln2w"), grad(pre + "ln2w"),
          grad(pre + "ln2b"), n));
      double[] dy = linearBack(dx2, y[l], p.get(pre + "attprojw"), grad(pre + "attprojw"),
          grad(pre + "attprojb"), n, c, c);
      double[] dqkv = attentionBack(dy, qkv[l], att[l], B, T);
      double[] dln1 = linearBack(dqkv, ln1[l], p.get(pre + "qkvw"), grad(pre + "qkvw"),
          grad(pre + "qkvb"), n, c, 3 * c);
      dx = add(dx2, layerNormBack(dln1, xin[l], p.get(pre + "ln1w"), grad(pre + "ln1w"),
          grad(pre + "ln1b"), n));
    }
    double[] dwpe = grad("wpe");
    for (int b = 0; b < B; b++) {
      for (int t = 0; t < T; t++) {
        for (int i = 0; i < c; i++) {
          double d = dx[(b * T + t) * c + i];
          dwte[in[b * T + t] * c + i] += d;
          dwpe[t * c + i] += d;
        }
      }
    }
    return loss;
  }

  private static double[] add(double[] a, double[] b) {
    double[] o = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      o[i] = a[i] + b[i];
    }
    return o;
  }

  static double gelu(double x) {
    return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
  }

  static double geluGrad(double x) {
    double k = Math.sqrt(2 / Math.PI);
    double u = k * (x + 0.044715 * x * x * x);
    double th = Math.tanh(u);
    return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * k * (1 + 3 * 0.044715 * x * x);
  }

  private double[] layerNorm(double[] x, double[] w, double[] b, int n) {
    double[] o = new double[x.length];
    for (int r = 0; r < n; r++) {
      double[] ms = meanRstd(x, r);
      double mean = ms[0];
      double rstd = ms[1];
      for (int i = 0; i < c; i++) {
        o[r * c + i] = (x[r * c + i] - mean) * rstd * w[i] + b[i];
      }
    }
    return o;
  }

  /** Row r's mean and 1 / sqrt(variance + 1e-5). */
  private double[] meanRstd(double[] x, int r) {
    double mean = 0;
    for (int i = 0; i < c; i++) {
      mean += x[r * c + i];
    }
    mean /= c;
    double var = 0;
    for (int i = 0; i < c; i++) {
      var += (x[r * c + i] - mean) * (x[r * c + i] - mean);
    }
    return new double[] {mean, 1 / Math.sqrt(var / c + 1e-5)};
  }

  /** Returns dx; accumulates dw, db. Backward of x -> xhat through the full c x c Jacobian. */
  private double[] layerNormBack(double[] dout, double[] x, double[] w, double[] dw, double[] db,
      int n) {
    double[] dx = new double[x.length];
    for (int r = 0; r < n; r++) {
      double[] ms = meanRstd(x, r);
      double mean = ms[0];
      double rstd = ms[1];
      double[] xhat = new double[c];
      for (int i = 0; i < c; i++) {
        xhat[i] = (x[r * c + i] - mean) * rstd;
        dw[i] += dout[r * c + i] * xhat[i];
        db[i] += dout[r * c + i];
      }
      // d xhat_i / d x_j = rstd * (delta_ij - 1/c - xhat_i xhat_j / c)
      for (int j = 0; j < c; j++) {
        double s = 0;
        for (int i = 0; i < c; i++) {
          double jac = rstd * ((i == j ? 1 : 0) - 1.0 / c - xhat[i] * xhat[j] / c);
          s += dout[r * c + i] * w[i] * jac;
        }
        dx[r * c + j] = s;
      }
    }
    return dx;
  }

  /** out[r][o] = b[o] + sum_i in[r][i] w[o][i]. */
  private static double[] linear(double[] in, double[] w, double[] b, int n, int ic, int oc) {
    double[] o = new double[n * oc];
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < oc; j++) {
        double s = b[j];
        for (int i = 0; i < ic; i++) {
          s += in[r * ic + i] * w[j * ic + i];
        }
        o[r * oc + j] = s;
      }
    }
    return o;
  }

  private static double[] linearBack(double[] dout, double[] in, double[] w, double[] dw,
      double[] db, int n, int ic, int oc) {
    double[] din = new double[n * ic];
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < oc; j++) {
        double d = dout[r * oc + j];
        db[j] += d;
        for (int i = 0; i < ic; i++) {
          din[r * ic + i] += d * w[j * ic + i];
          dw[j * ic + i] += d * in[r * ic + i];
        }
      }
    }
    return din;
  }

  private double[] attention(double[] qkv, double[] att, int B, int T) {
    int hs = c / nHead;
    double[] y = new double[B * T * c];
    for (int b = 0; b < B; b++) {
      for (int hh = 0; hh < nHead; hh++) {
        for (int t = 0; t < T; t++) {
          double[] s = new double[t + 1];
          double max = Double.NEGATIVE_INFINITY;
          for (int u = 0; u <= t; u++) {
            double d = 0;
            for (int i = 0; i < hs; i++) {
              d += qkv[(b * T + t) * 3 * c + hh * hs + i] * qkv[(b * T + u) * 3 * c + c + hh * hs + i];
            }
            s[u] = d / Math.sqrt(hs);
            max = Math.max(max, s[u]);
          }
          double z = 0;
          for (int u = 0; u <= t; u++) {
            z += Math.exp(s[u] - max);
          }
          for (int u = 0; u <= t; u++) {
            double a = Math.exp(s[u] - max) / z;
            att[((b * nHead + hh) * T + t) * T + u] = a;
            for (int i = 0; i < hs; i++) {
              y[(b * T + t) * c + hh * hs + i] += a * qkv[(b * T + u) * 3 * c + 2 * c + hh * hs + i];
            }
          }
        }
      }
    }
    return y;
  }

  private double[] attentionBack(double[] dy, double[] qkv, double[] att, int B, int T) {
    int hs = c / nHead;
    double[] d = new double[qkv.length];
    for (int b = 0; b < B; b++) {
      for (int hh = 0; hh < nHead; hh++) {
        for (int t = 0; t < T; t++) {
          int arow = ((b * nHead + hh) * T + t) * T;
          double[] da = new double[t + 1];
          for (int u = 0; u <= t; u++) {
            for (int i = 0; i < hs; i++) {
              double g = dy[(b * T + t) * c + hh * hs + i];
              da[u] += g * qkv[(b * T + u) * 3 * c + 2 * c + hh * hs + i];
              d[(b * T + u) * 3 * c + 2 * c + hh * hs + i] += att[arow + u] * g;
            }
          }
          for (int u = 0; u <= t; u++) {
            // Softmax Jacobian: d a_w / d s_u = a_w (delta_wu - a_u).
            double ds = 0;
            for (int w = 0; w <= t; w++) {
              ds += da[w] * att[arow + w] * ((w == u ? 1 : 0) - att[arow + u]);
            }
            ds /= Math.sqrt(hs);
            for (int i = 0; i < hs; i++) {
              d[(b * T + t) * 3 * c + hh * hs + i] += ds * qkv[(b * T + u) * 3 * c + c + hh * hs + i];
              d[(b * T + u) * 3 * c + c + hh * hs + i] += ds * qkv[(b * T + t) * 3 * c + hh * hs + i];
            }
          }
        }
      }
    }
    return d;
  }
}
