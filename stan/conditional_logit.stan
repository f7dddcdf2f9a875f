// Conditional logit for the top-scored option of each interaction, with
// optional participant-level random slopes (a mixed logit).
//
// Each interaction is a choice set: the participant rated its two to four
// options and one of them (or several, tied) got the top score. Option i of
// set s has utility
//   eta_i = x_i' (b + tau .* z_u) + r_model[m(i)],
// u the set's participant and m(i) the LLM behind the option, and
//   Pr(the top pick is i) = exp(eta_i) / sum_{j in s} exp(eta_j).
// Anything constant within a set cancels: the participant's and the
// conversation's mood, the turn, an overall intercept, and the LLM effect in
// later turns, whose options come from one LLM. The LLM effects are therefore
// identified by the opening turns only, and only up to a constant, so they
// sum to zero: r_model ~ normal(0, sd_model) projected onto the sum-zero
// subspace (the first N_model - 1 are free, the last is minus their sum).
//
// Ties. When several options share the top score the pick is read as "one of
// the tied options": the set contributes log sum_{i in top} Pr(i), the chance
// that the choice falls among them. A set whose every option ties for the top
// says nothing about the attributes and is dropped by the Python side.
//
// Computation.
// - Predictors are centred within each set (exact: a shift per set cancels),
//   which keeps eta near zero, and then replaced by their thin QR
//   decomposition, Xc = Q R, b = R^-1 b_tilde: the attributes are correlated
//   (reasoning with nuance, compassion with respect), and b_tilde on the
//   orthonormal Q is nearly uncorrelated in the posterior.
// - A set of two options (every later turn) has a single top, and
//   Pr(top) = inv_logit(eta_top - eta_other): those sets are one Bernoulli-logit
//   GLM on the differences, whose fused gradient is several times cheaper than
//   a softmax per set. Larger sets (the opening turns) take the general route:
//   exp(eta) summed over each set and over its top options by sparse products.
//
// Random slopes are non-centred, tau .* z_u with z_u ~ normal(0, 1), and the
// slope sds are sampled with a sign under the symmetric extension of their
// half-t priors (tau = |tau_signed|), as in bernoulli_nested: a participant
// makes a few dozen choices, so most slope sds sit near zero. The slope term
// x_i' (tau .* z_u) is one sparse product with the standardised slopes stacked
// in a vector, to_vector(diag_post_multiply(z_slope, tau_signed)), whose entry
// (k - 1) N_user + u is participant u's deviation on predictor k.
//
// Priors: b ~ normal(0, prior_b_sd); sd_model and every tau ~ half
// student_t(3, 0, prior_scale), as brms.
data {
  int<lower=1> N;  // options (rated responses), grouped by set
  int<lower=1> K;  // predictors
  int<lower=1> S;  // choice sets (interactions)
  matrix[N, K] X;  // predictors, uncentred
  array[N] int<lower=0, upper=1> y;  // 1 = (one of) the top-scored option(s)
  // rows set_start[s] .. set_start[s + 1] - 1 form set s; set_start[S + 1] = N + 1
  array[S + 1] int<lower=1, upper=N + 1> set_start;
  int<lower=2> N_model;  // LLMs
  array[N] int<lower=1, upper=N_model> J_model;  // LLM of each option
  int<lower=1> N_user;  // participants
  array[S] int<lower=1, upper=N_user> J_set_user;  // participant of each set
  real<lower=0> prior_b_sd;
  real<lower=0> prior_scale;
  int<lower=0, upper=1> prior_only;
  int<lower=0, upper=1> random_slopes;  // 0: the plain conditional logit
  int<lower=0, upper=1> save_log_lik;  // write each set's log likelihood
}
transformed data {
  int n_slopes = random_slopes ? K : 0;
  matrix[N, K] Xc = X;  // predictors centred within their set
  int n_pair = 0;  // sets of two options
  int n_big = 0;  // options in sets of three or more
  int S_big = 0;  // sets of three or more
  for (s in 1:S) {
    int first = set_start[s];
    int last = set_start[s + 1] - 1;
    int n_top_s = sum(y[first:last]);
    if (last - first < 1) {
      reject("set ", s, " has fewer than two options");
    }
    if (n_top_s < 1 || n_top_s > last - first) {
      reject("set ", s, " needs at least one top and one other option");
    }
    for (k in 1:K) {
      Xc[first:last, k] = X[first:last, k] - mean(X[first:last, k]);
    }
    if (last - first == 1) {
      n_pair += 1;
    } else {
      S_big += 1;
      n_big += last - first + 1;
    }
  }
  for (k in 1:K) {
    if (!(sd(Xc[ : , k]) > 0)) {
      reject("predictor ", k, " does not vary within any set; drop it");
    }
  }
  matrix[N, K] Q = qr_thin_Q(Xc);
  matrix[K, K] R_inverse = inverse(qr_thin_R(Xc));

  // Sets of two: the top option's row minus the other's.
  matrix[n_pair, K] Q_pair;
  array[n_pair] int pair_top_model;
  array[n_pair] int pair_other_model;
  array[n_pair] int pair_ones = rep_array(1, n_pair);
  // Sets of three or more, their options in order, and sparse incidences (CSR)
  // of those sets over their options and over their top options.
  matrix[n_big, K] Q_big;
  array[n_big] int big_model;
  array[n_big] int big_top;
  array[S_big + 1] int big_start;
  // Rows of the slope products: for each pair the difference of the two
  // options' predictors, for each option of a larger set its predictors.
  matrix[n_pair, K] Xc_pair;
  array[n_pair] int pair_user;
  array[n_big] int big_user;
  {
    int p = 0;
    int i_big = 0;
    int s_big = 0;
    big_start[1] = 1;
    for (s in 1:S) {
      int first = set_start[s];
      int last = set_start[s + 1] - 1;
      if (last == first + 1) {
        int top = y[first] == 1 ? first : last;
        int other = y[first] == 1 ? last : first;
        p += 1;
        Q_pair[p] = Q[top] - Q[other];
        Xc_pair[p] = Xc[top] - Xc[other];
        pair_top_model[p] = J_model[top];
        pair_other_model[p] = J_model[other];
        pair_user[p] = J_set_user[s];
      } else {
        s_big += 1;
        for (i in first:last) {
          i_big += 1;
          Q_big[i_big] = Q[i];
          big_model[i_big] = J_model[i];
          big_top[i_big] = y[i];
          big_user[i_big] = J_set_user[s];
        }
        big_start[s_big + 1] = i_big + 1;
      }
    }
  }
  int n_big_top = sum(big_top);
  vector[n_big] w_all = rep_vector(1, n_big);
  array[n_big] int v_all = linspaced_int_array(n_big, 1, n_big);
  vector[n_big_top] w_top = rep_vector(1, n_big_top);
  array[n_big_top] int v_top;
  array[S_big + 1] int u_top;
  {
    int t = 0;
    u_top[1] = 1;
    for (s in 1:S_big) {
      for (i in big_start[s]:(big_start[s + 1] - 1)) {
        if (big_top[i] == 1) {
          t += 1;
          v_top[t] = i;
        }
      }
      u_top[s + 1] = t + 1;
    }
  }
  // Slope products in CSR: row r holds its K predictors at columns
  // (k - 1) N_user + u.
  vector[n_pair * n_slopes] w_slope_pair;
  array[n_pair * n_slopes] int v_slope_pair;
  array[n_pair + 1] int u_slope_pair;
  vector[n_big * n_slopes] w_slope_big;
  array[n_big * n_slopes] int v_slope_big;
  array[n_big + 1] int u_slope_big;
  for (r in 1:n_pair) {
    u_slope_pair[r] = (r - 1) * n_slopes + 1;
    for (k in 1:n_slopes) {
      w_slope_pair[(r - 1) * n_slopes + k] = Xc_pair[r, k];
      v_slope_pair[(r - 1) * n_slopes + k] = (k - 1) * N_user + pair_user[r];
    }
  }
  u_slope_pair[n_pair + 1] = n_pair * n_slopes + 1;
  {
    int r = 0;
    for (s in 1:S) {
      int first = set_start[s];
      int last = set_start[s + 1] - 1;
      if (last > first + 1) {
        for (i in first:last) {
          r += 1;
          u_slope_big[r] = (r - 1) * n_slopes + 1;
          for (k in 1:n_slopes) {
            w_slope_big[(r - 1) * n_slopes + k] = Xc[i, k];
            v_slope_big[(r - 1) * n_slopes + k] = (k - 1) * N_user + big_user[r];
          }
        }
      }
    }
  }
  u_slope_big[n_big + 1] = n_big * n_slopes + 1;
}
parameters {
  vector[K] b_tilde;  // coefficients on Q
  real<lower=0> sd_model;  // sd of the LLM effects
  vector[N_model - 1] r_model_free;  // the first N_model - 1 LLM effects
  vector[n_slopes] tau_signed;  // +- sd of the participant slopes
  matrix[N_user, n_slopes] z_slope;  // standardised participant slopes
}
transformed parameters {
  vector[K] b = R_inverse * b_tilde;  // coefficients on the attributes
  vector[N_model] r_model = append_row(r_model_free, -sum(r_model_free));
  vector<lower=0>[n_slopes] tau = abs(tau_signed);
  real lprior = 0;
  lprior += normal_lpdf(b | 0, prior_b_sd);
  lprior += student_t_lpdf(sd_model | 3, 0, prior_scale)
            - student_t_lccdf(0 | 3, 0, prior_scale);
  lprior += student_t_lpdf(tau | 3, 0, prior_scale)
            - n_slopes * student_t_lccdf(0 | 3, 0, prior_scale);
}
model {
  if (!prior_only) {
    vector[n_pair] alpha = r_model[pair_top_model] - r_model[pair_other_model];
    vector[n_big] eta = Q_big * b_tilde + r_model[big_model];
    if (random_slopes) {
      vector[N_user * K] slopes = to_vector(diag_post_multiply(z_slope,
                                                               tau_signed));
      alpha += csr_matrix_times_vector(n_pair, N_user * K, w_slope_pair,
                                       v_slope_pair, u_slope_pair, slopes);
      eta += csr_matrix_times_vector(n_big, N_user * K, w_slope_big,
                                     v_slope_big, u_slope_big, slopes);
    }
    target += bernoulli_logit_glm_lpmf(pair_ones | Q_pair, alpha, b_tilde);
    if (S_big > 0) {
      // Subtracting the largest utility guards exp against overflow far from
      // the posterior, where warmup may wander; it cancels in each ratio.
      vector[n_big] odds = exp(eta - max(eta));
      target += sum(log(csr_matrix_times_vector(S_big, n_big, w_top, v_top,
                                                u_top, odds)))
                - sum(log(csr_matrix_times_vector(S_big, n_big, w_all, v_all,
                                                  big_start, odds)));
    }
  }
  // The LLM effects are a normal(0, sd_model) vector projected onto the
  // sum-zero subspace: their quadratic form is sum(r_model^2) / sd_model^2,
  // but they have N_model - 1 dimensions, not N_model, hence one
  // log(sd_model) back. Without it the prior of sd_model gains a factor
  // 1 / sd_model (simulation-based calibration caught it).
  target += normal_lpdf(r_model | 0, sd_model) + log(sd_model);
  target += std_normal_lpdf(to_vector(z_slope));
  target += lprior;
}
generated quantities {
  // Per set, in the order pairs first, then larger sets (each group in data
  // order): what PSIS-LOO needs.
  vector[save_log_lik ? n_pair + S_big : 0] log_lik;
  if (save_log_lik) {
    vector[n_pair] alpha = r_model[pair_top_model] - r_model[pair_other_model];
    vector[n_big] eta = Q_big * b_tilde + r_model[big_model];
    if (random_slopes) {
      vector[N_user * K] slopes = to_vector(diag_post_multiply(z_slope,
                                                               tau_signed));
      alpha += csr_matrix_times_vector(n_pair, N_user * K, w_slope_pair,
                                       v_slope_pair, u_slope_pair, slopes);
      eta += csr_matrix_times_vector(n_big, N_user * K, w_slope_big,
                                     v_slope_big, u_slope_big, slopes);
    }
    log_lik[1:n_pair] = log_inv_logit(Q_pair * b_tilde + alpha);
    if (S_big > 0) {
      vector[n_big] odds = exp(eta - max(eta));
      log_lik[(n_pair + 1):(n_pair + S_big)]
          = log(csr_matrix_times_vector(S_big, n_big, w_top, v_top, u_top,
                                        odds))
            - log(csr_matrix_times_vector(S_big, n_big, w_all, v_all,
                                          big_start, odds));
    }
  }
}
