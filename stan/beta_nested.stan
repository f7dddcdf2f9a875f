// Beta regression for an outcome strictly inside (0, 1), with random
// intercepts for participants, conversations nested in participants, and
// LLMs: the mirroring outcomes (a response's Perspective probability) on a
// family that lives where they live, beside the paper's Gaussian analysis 3.
//
// brms formula: y ~ X + (1 | user / conversation) + (1 | model),
// family = Beta(link = "logit"):
//   logit(mu_i) = Intercept + Xc_i * b + r_model[m_i] + u[g_i] + v[c_i],
//   y_i ~ beta(mu_i * phi, (1 - mu_i) * phi),
// so b is on the log-odds of the expected probability, and phi is the
// precision (the variance is mu (1 - mu) / (1 + phi)). The Python side
// moves exact 0s and 1s inside before the data get here (the rule is in
// orchestration/modeling/data.py).
//
// Parameterisation: centred predictors and hierarchically centred LLM means
// as in bernoulli_nested.stan. The participant and conversation intercepts
// enter only as their sum per conversation, and that sum is sampled
// directly: one standard normal per conversation, mapped through the square
// root of each participant's block covariance (user_conv_totals). The
// participant sd then only stretches the spread between participants'
// conversation means, which stays at least sd_conv, instead of scaling
// 1,500 participant z's of its own: with the participant sd near zero (no
// participant variation beyond the conversations'), that scaling was the
// slow direction of the posterior (bulk ESS 246 of 4,000 draws against
// 1,774 now, on a third of the full-scale toxicity data). The draws of
// r_user and r_conv, when asked for, come from their conditional normal
// given the sums. Both sds are sampled with a sign (only their squares, or
// a sign-symmetric scale, enter), which leaves the posterior unchanged
// under the symmetric extension of the half-t prior. The multipliers are
// rough posterior sds from the spread of logit(y), so each unconstrained
// coordinate has a scale near one. The precision is sampled as log(phi),
// whose posterior sd is about sqrt(2 / N) (0.005 at PRISM's size): on the
// unit scale of a positive parameter's own transform, early warmup shrank
// its step size to match and took deep trees for every other coordinate.
// Names follow brms: N_* count the levels of a grouping, J_* index them.
//
// Priors: b ~ normal(0, prior_b_sd); Intercept ~ student_t(3, 0,
// prior_scale); every sd ~ half student_t(3, 0, prior_scale), as brms;
// phi ~ lognormal(log(10), 1.5), where brms has gamma(0.01, 0.01). That
// gamma is nearly improper: draws from it are mostly below 1e-10 or in the
// thousands, so the model cannot be simulated from its prior (as
// simulation-based calibration does) without beta draws of exactly 0 or 1.
// The lognormal covers phi from about 0.5 to 200 at two sds, and at
// PRISM's size the likelihood pins phi to a few percent wherever it is.
functions {
  // Conversation totals r_user[g] + r_conv[c] for participant g's
  // conversations, from one standard normal per conversation. A block of n
  // conversations has covariance sd_conv^2 I + sd_user^2 1 1'; its symmetric
  // square root is sd_conv (I - P) + t P, with P = 1 1' / n and
  // t = sqrt(sd_conv^2 + n sd_user^2): the deviations from the block's mean
  // scaled by sd_conv and the mean itself by t. Signed sds enter squared or
  // as a sign-symmetric scale, so both may cross zero.
  vector user_conv_totals(vector z, real sd_user_signed,
                          real sd_conv_signed, array[] int start,
                          array[] int count) {
    vector[rows(z)] total;
    for (g in 1:size(start)) {
      int n = count[g];
      vector[n] z_g = segment(z, start[g], n);
      real z_mean = mean(z_g);
      real t = sqrt(square(sd_conv_signed) + n * square(sd_user_signed));
      total[start[g]:(start[g] + n - 1)] = sd_conv_signed * (z_g - z_mean)
                                           + t * z_mean;
    }
    return total;
  }
}
data {
  int<lower=1> N;  // number of responses
  int<lower=1> K;  // number of predictors
  vector<lower=0, upper=1>[N] y;  // outcome, strictly inside (0, 1)
  matrix[N, K] X;  // predictors, uncentred
  int<lower=1> N_model;  // number of LLMs
  array[N] int<lower=1, upper=N_model> J_model;  // LLM of each response
  int<lower=1> N_user;  // number of participants
  int<lower=1> N_conv;  // number of conversations
  array[N] int<lower=1, upper=N_conv> J_conv;  // conversation of each response
  // participant of each conversation, nondecreasing (sorted by participant)
  array[N_conv] int<lower=1, upper=N_user> J_conv_user;  // conv. -> user
  real<lower=0> prior_b_sd;  // sd of the normal prior on b
  real<lower=0> prior_scale;  // scale of the student_t(3) priors
  int<lower=0, upper=1> prior_only;  // ignore the likelihood
  int<lower=0, upper=1> save_group;  // write r_user and r_conv
}
transformed data {
  // Each participant's conversations as a contiguous segment of 1:N_conv
  // (J_conv_user is sorted), and how many there are.
  array[N_user] int conv_count = rep_array(0, N_user);
  array[N_user] int conv_start;
  for (c in 1:N_conv) {
    conv_count[J_conv_user[c]] += 1;
  }
  conv_start[1] = 1;
  for (g in 2:N_user) {
    conv_start[g] = conv_start[g - 1] + conv_count[g - 1];
  }
  for (g in 1:N_user) {
    if (conv_count[g] == 0) {
      reject("participant ", g, " has no conversation; drop them from the data");
    }
  }
  vector[K] means_X;  // column means of X, to recover the intercept
  matrix[N, K] Xc;  // centred predictors
  for (i in 1:N) {
    if (!(y[i] > 0 && y[i] < 1)) {
      reject("y[", i, "] = ", y[i], " is not strictly inside (0, 1)");
    }
  }
  vector[N] log_y = log(y);
  vector[N] log1m_y = log1m(y);
  real sum_log_y = sum(log_y) + sum(log1m_y);  // the density's -log(y (1 - y))
  vector[N] logit_y = log_y - log1m_y;
  real mean_logit_y = mean(logit_y);
  real sd_logit_y = sd(logit_y);
  // Rough posterior sds, for the multipliers below, as if logit(y) were
  // Gaussian with sd sd_logit_y (see rounded_lognormal_nested.stan).
  vector[K] b_scale;
  real mu_scale = sd_logit_y * sqrt(N_model * 1.0 / N);
  real user_scale = sd_logit_y / sqrt(N_user);
  real conv_scale = sd_logit_y / sqrt(N_conv);
  for (k in 1:K) {
    means_X[k] = mean(X[ : , k]);
    Xc[ : , k] = X[ : , k] - means_X[k];
    if (!(sd(X[ : , k]) > 0)) {
      reject("predictor ", k, " is constant; drop it from X");
    }
    b_scale[k] = sd_logit_y / (sd(X[ : , k]) * sqrt(N));
  }
}
parameters {
  // intercept of the log-odds at the predictor means
  real<offset=mean_logit_y, multiplier=mu_scale> Intercept;
  vector<multiplier=b_scale>[K] b;  // coefficients
  real<lower=0> sd_model;  // sd of the LLM intercepts
  // LLM means of the log-odds at the predictor means
  vector<offset=mean_logit_y, multiplier=mu_scale>[N_model] mu_model;
  real<multiplier=user_scale> sd_user_signed;  // +- sd of the participant intercepts
  real<multiplier=conv_scale> sd_conv_signed;  // +- sd of the conversation intercepts
  vector[N_conv] z_conv;  // standardised conversation totals (see the model block)
  real<multiplier=sqrt(2.0 / N)> log_phi;  // log of the precision
}
transformed parameters {
  real<lower=0> sd_user = abs(sd_user_signed);
  real<lower=0> sd_conv = abs(sd_conv_signed);
  real<lower=0> phi = exp(log_phi);  // precision
  vector[N_model] r_model = mu_model - Intercept;
  real lprior = 0;
  lprior += normal_lpdf(b | 0, prior_b_sd);
  lprior += student_t_lpdf(Intercept | 3, 0, prior_scale);
  lprior += student_t_lpdf(sd_model | 3, 0, prior_scale)
            - student_t_lccdf(0 | 3, 0, prior_scale);
  lprior += student_t_lpdf(sd_user | 3, 0, prior_scale)
            - student_t_lccdf(0 | 3, 0, prior_scale);
  lprior += student_t_lpdf(sd_conv | 3, 0, prior_scale)
            - student_t_lccdf(0 | 3, 0, prior_scale);
  lprior += lognormal_lpdf(phi | log(10), 1.5);
}
model {
  if (!prior_only) {
    // Participant and conversation intercepts summed per conversation
    // first, as in bernoulli_nested.stan. Intercept + r_model = mu_model.
    vector[N_conv] r_user_conv = user_conv_totals(z_conv, sd_user_signed,
                                                  sd_conv_signed, conv_start,
                                                  conv_count);
    vector[N] eta = Xc * b + r_user_conv[J_conv] + mu_model[J_model];
    // beta(mu * phi, (1 - mu) * phi) written out: 1 - mu as inv_logit(-eta),
    // which stays positive where inv_logit(eta) rounds to 1 (eta above
    // about 37, reached by early warmup), and log(y), log(1 - y) computed once.
    vector[N] shape_1 = phi * inv_logit(eta);
    vector[N] shape_2 = phi * inv_logit(-eta);
    target += N * lgamma(phi) - sum(lgamma(shape_1)) - sum(lgamma(shape_2))
              + dot_product(shape_1, log_y) + dot_product(shape_2, log1m_y)
              - sum_log_y;
  }
  target += normal_lpdf(mu_model | Intercept, sd_model);
  target += std_normal_lpdf(z_conv);
  target += lprior;
  target += log_phi;  // Jacobian: the prior stays on phi
}
generated quantities {
  real b_Intercept = Intercept - dot_product(means_X, b);
  vector[save_group ? N_user : 0] r_user;
  vector[save_group ? N_conv : 0] r_conv;
  if (save_group) {
    // The participant intercepts given the conversation totals, drawn from
    // their conditional normal, and the conversations' as what is left.
    vector[N_conv] total = user_conv_totals(z_conv, sd_user_signed,
                                            sd_conv_signed, conv_start,
                                            conv_count);
    for (g in 1:N_user) {
      int n = conv_count[g];
      // variance of the block's sum, over n
      real sum_var = square(sd_conv) + n * square(sd_user);
      real mean_g = sum_var > 0
                    ? square(sd_user) * sum(segment(total, conv_start[g], n))
                      / sum_var
                    : 0;
      real var_g = sum_var > 0 ? square(sd_user) * square(sd_conv) / sum_var
                   : 0;
      r_user[g] = var_g > 0 ? normal_rng(mean_g, sqrt(var_g)) : mean_g;
    }
    r_conv = total - r_user[J_conv_user];
  }
}
