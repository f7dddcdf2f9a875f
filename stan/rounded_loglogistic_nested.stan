// The slider score as what it is: an integer on 1..max_score, read from a
// latent log-logistic rating that is rounded, censored at both ends, and
// heaped at the bottom and at the slider's starting position. Random
// intercepts for participants, conversations nested in participants, and
// LLMs, as in the paper's analysis 1b.
//
// Analysis 1b models log(score) as Gaussian. This program keeps that latent
// scale, so b and the sds are on 1b's log-score scale and sigma is the
// latent rating's sd as in 1b, and adds how a rating becomes a recorded
// score:
//   l_i = Intercept + Xc_i * b + r_model[m_i] + u[g_i] + v[c_i] + e_i,
//   e_i ~ logistic(0, sigma * sqrt(3) / pi) (sd sigma),
//   u ~ normal(0, sd_user), v ~ normal(0, sd_conv);
//   the recorded score is k = round(exp(l_i)) kept within 1..max_score, so k
//   is seen when cut[k - 1] <= l_i < cut[k], with cut[k] = log(k + 0.5) and
//   the two ends open (k = 1 takes every l_i below log(1.5), k = max_score
//   every l_i above log(max_score - 0.5): a ceiling, not a rating of 100);
//   and, whatever l_i, with probability share[2] the rating is 1 (the
//   "terrible" end pushed all the way) and with probability share[3] it is
//   default_score (the slider left where it starts).
// So p(k) = share[1] * P(cut[k - 1] <= l < cut[k])
//           + share[2] * (k == 1) + share[3] * (k == default_score).
// The interval probabilities are an ordered logit on eta / s with the fixed
// cutpoints cut / s, s = sigma * sqrt(3) / pi.
//
// Why logistic and not normal noise: the interval probabilities are then
// differences of inv_logit, which Stan's ordered_logistic evaluates with
// analytic gradients. An ordered probit (the exact log-normal) costs about
// ten times as much per response, and this program samples the 9,400
// participant and conversation intercepts, so its gradient is O(N): at
// PRISM's size a probit fit took over half an hour on two cores. The two
// latent shapes differ in the far tails only.
//
// Parameterisation as in bernoulli_nested.stan: centred predictors,
// non-centred participant and conversation intercepts whose sds are sampled
// with a sign (r = sd_signed * z, sd = |sd_signed|, under the symmetric
// extension of the half-t prior, which leaves the posterior unchanged), and
// hierarchically centred LLM means. The multipliers are rough posterior sds
// from the spread of log(y) off the heaps, so each unconstrained coordinate
// has a scale near one. Two more, as in gaussian_nested_marginal.stan:
// sigma is sampled as log(sigma), whose posterior sd is about 1 / sqrt(2 N),
// and the heap shares as log-odds against the latent rating,
// heap_log_odds = log(share[2:3] / share[1]), whose posterior sds are about
// one over the square root of the rows each heap could explain. On the unit
// scale of a simplex's or a positive parameter's own transform these sds
// are 0.005 to 0.03, and early warmup then took trees of 256 to 1,024 steps.
// Names follow brms: N_* count the levels of a grouping, J_* index them.
//
// Priors: b ~ normal(0, prior_b_sd); Intercept ~ student_t(3,
// log(default_score), prior_scale), centred on the slider's starting point
// rather than on the data (as the Gaussian programs and brms do), so that
// the prior is fixed and simulation-based calibration holds; every sd,
// sigma included, ~ half student_t(3, 0, prior_scale); share ~ dirichlet(1,
// 1, 1) (uniform on the simplex; its density in heap_log_odds is the
// Jacobian share[1] * share[2] * share[3]).
data {
  int<lower=1> N;  // number of responses
  int<lower=1> K;  // number of predictors
  int<lower=3> max_score;  // the top of the slider (PRISM: 100)
  // the slider's starting position (PRISM: 50); 1 < default_score < max_score
  int<lower=2, upper=max_score - 1> default_score;
  array[N] int<lower=1, upper=max_score> y;  // outcome: the recorded score
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
  // cut[k] = log(k + 0.5): the upper edge on the latent scale of score k
  vector[max_score - 1] cut = log(linspaced_vector(max_score - 1, 1.5,
                                                   max_score - 0.5));
  real logistic_sd = pi() / sqrt(3);  // sd of the standard logistic
  vector[K] means_X;  // column means of X, to recover the intercept
  matrix[N, K] Xc;  // centred predictors
  // The rows a heap can explain are kept apart: each needs the mixture of
  // its interval's probability and the heap's share. The rest (most rows)
  // take the interval probability alone, in one vectorised call.
  int N_bottom = 0;
  int N_default = 0;
  for (i in 1:N) {
    N_bottom += y[i] == 1;
    N_default += y[i] == default_score;
  }
  int N_other = N - N_bottom - N_default;
  array[N_bottom] int rows_bottom;
  array[N_default] int rows_default;
  array[N_other] int rows_other;
  {
    int b_next = 1;
    int d_next = 1;
    int o_next = 1;
    for (i in 1:N) {
      if (y[i] == 1) {
        rows_bottom[b_next] = i;
        b_next += 1;
      } else if (y[i] == default_score) {
        rows_default[d_next] = i;
        d_next += 1;
      } else {
        rows_other[o_next] = i;
        o_next += 1;
      }
    }
  }
  array[N_other] int y_other = y[rows_other];
  // The spread of log(y) off the heaps, for the multipliers below; the heaps
  // at log(1) = 0 and log(50) would inflate it.
  real sd_log_y = N_other > 1 ? sd(log(to_vector(y_other))) : 1.0;
  if (!(sd_log_y > 0)) {
    sd_log_y = 1;
  }
  // Rough posterior sds, as if log(y) were Gaussian with sd sd_log_y: a
  // coefficient's is sd_log_y / (sd(x_k) sqrt(N)), an LLM mean's
  // sd_log_y sqrt(N_model / N), and a participant or conversation sd near
  // zero is resolved to about sd_log_y / sqrt(N_user) or / sqrt(N_conv).
  vector[K] b_scale;
  real mu_scale = sd_log_y * sqrt(N_model * 1.0 / N);
  real user_scale = sd_log_y / sqrt(N_user);
  real conv_scale = sd_log_y / sqrt(N_conv);
  vector[2] heap_scale = [inv_sqrt(N_bottom + 1), inv_sqrt(N_default + 1)]';
  for (k in 1:K) {
    means_X[k] = mean(X[ : , k]);
    Xc[ : , k] = X[ : , k] - means_X[k];
    if (!(sd(X[ : , k]) > 0)) {
      reject("predictor ", k, " is constant; drop it from X");
    }
    b_scale[k] = sd_log_y / (sd(X[ : , k]) * sqrt(N));
  }
}
parameters {
  // intercept of the latent log score at the predictor means
  real<multiplier=mu_scale> Intercept;
  vector<multiplier=b_scale>[K] b;  // coefficients
  real<lower=0> sd_model;  // sd of the LLM intercepts
  // LLM means of the latent log score at the predictor means
  vector<multiplier=mu_scale>[N_model] mu_model;
  real<multiplier=user_scale> sd_user_signed;  // +- sd of the participant intercepts
  vector[N_user] z_user;  // standardised participant intercepts
  real<multiplier=conv_scale> sd_conv_signed;  // +- sd of the conversation intercepts
  vector[N_conv] z_conv;  // standardised conversation intercepts
  // log of the latent rating's sd
  real<multiplier=inv_sqrt(2 * N)> log_sigma;
  // log(share[2] / share[1]) and log(share[3] / share[1])
  vector<multiplier=heap_scale>[2] heap_log_odds;
}
transformed parameters {
  real<lower=0> sd_user = abs(sd_user_signed);
  real<lower=0> sd_conv = abs(sd_conv_signed);
  real<lower=0> sigma = exp(log_sigma);
  // shares of ratings: the latent rating rounded, the bottom heap, the default
  simplex[3] share = softmax(append_row(0, heap_log_odds));
  vector[N_model] r_model = mu_model - Intercept;
  real lprior = 0;
  lprior += normal_lpdf(b | 0, prior_b_sd);
  lprior += student_t_lpdf(Intercept | 3, log(default_score), prior_scale);
  lprior += student_t_lpdf(sd_model | 3, 0, prior_scale)
            - student_t_lccdf(0 | 3, 0, prior_scale);
  lprior += student_t_lpdf(sd_user | 3, 0, prior_scale)
            - student_t_lccdf(0 | 3, 0, prior_scale);
  lprior += student_t_lpdf(sd_conv | 3, 0, prior_scale)
            - student_t_lccdf(0 | 3, 0, prior_scale);
  lprior += student_t_lpdf(sigma | 3, 0, prior_scale)
            - student_t_lccdf(0 | 3, 0, prior_scale);
  lprior += dirichlet_lpdf(share | rep_vector(1, 3));
}
model {
  if (!prior_only) {
    // Participant and conversation intercepts summed per conversation
    // first, as in bernoulli_nested.stan. Intercept + r_model = mu_model.
    vector[N_conv] r_user_conv = sd_user_signed * z_user[J_conv_user]
                                 + sd_conv_signed * z_conv;
    vector[N] eta = Xc * b + r_user_conv[J_conv] + mu_model[J_model];
    real s = sigma / logistic_sd;  // the logistic's scale
    vector[max_score - 1] cut_s = cut / s;
    vector[3] log_share = log(share);
    target += N_other * log_share[1]
              + ordered_logistic_lpmf(y_other | eta[rows_other] / s, cut_s);
    for (n in 1:N_bottom) {
      real lp = log_inv_logit(cut_s[1] - eta[rows_bottom[n]] / s);
      target += log_sum_exp(log_share[1] + lp, log_share[2]);
    }
    for (n in 1:N_default) {
      real z = eta[rows_default[n]] / s;
      real lp = log_diff_exp(log_inv_logit(cut_s[default_score] - z),
                             log_inv_logit(cut_s[default_score - 1] - z));
      target += log_sum_exp(log_share[1] + lp, log_share[3]);
    }
  }
  target += normal_lpdf(mu_model | Intercept, sd_model);
  target += std_normal_lpdf(z_user);
  target += std_normal_lpdf(z_conv);
  target += lprior;
  // Jacobians: the priors stay on sigma and on share
  target += log_sigma + sum(log(share));
}
generated quantities {
  real b_Intercept = Intercept - dot_product(means_X, b);
  real share_bottom = share[2];  // ratings of 1 whatever the latent rating
  real share_default = share[3];  // ratings left at the default
  vector[save_group ? N_user : 0] r_user;
  vector[save_group ? N_conv : 0] r_conv;
  if (save_group) {
    r_user = sd_user_signed * z_user;
    r_conv = sd_conv_signed * z_conv;
  }
}
