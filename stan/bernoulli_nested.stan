// Bernoulli-logit regression with random intercepts for participants,
// conversations nested in participants, and LLMs (analysis 1a: is the
// response the top-scored option of its turn).
//
// brms formula: y ~ X + (1 | user / conversation) + (1 | model),
// family = bernoulli("logit"). Centred predictors; non-centred participant
// and conversation intercepts (a handful of responses each), but
// hierarchically centred LLM means, mu_model ~ normal(Intercept, sd_model)
// with r_model = mu_model - Intercept: each LLM answers thousands of
// responses, and the non-centred form then mixes slowly in sd_model and
// Intercept at PRISM's scale.
// The participant and conversation sds are sampled with a sign, r = sd_signed
// * z and sd = |sd_signed|, under the symmetric extension of their half-t
// priors: the posterior of sd and r is unchanged. In 1a both sit near zero
// (every turn has a top-scored option, whoever the participant), and on the
// log scale such an sd has a long tail towards zero that mixed slowly (R-hat
// 1.012 on sd_user in one full-scale subset at 400 draws a chain).
// Names follow brms: N_* count the levels of a grouping, J_* index them.
//
// Priors: b ~ normal(0, prior_b_sd). The paper used sd 1e6 (flat in
// practice); the default the Python side passes is 2.5, weakly informative
// for predictors on a 0..1 probability scale (a full-range change moves the
// log-odds by up to about +-5 at two prior sds). Intercept ~ student_t(3, 0,
// prior_scale) and every sd ~ half student_t(3, 0, prior_scale), as brms.
data {
  int<lower=1> N;  // number of responses
  int<lower=1> K;  // number of predictors
  array[N] int<lower=0, upper=1> y;  // outcome: 1 = top-scored response
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
  vector[K] means_X;  // column means of X, to recover the intercept
  matrix[N, K] Xc;  // centred predictors
  // Rough posterior sds, for the multipliers below: with a success rate p
  // the information per response is p (1 - p) <= 1/4, so a coefficient's sd
  // is at least 2 / (sd(x_k) sqrt(N)) and an LLM mean's 2 sqrt(N_model / N).
  // The intercept's sd is about an LLM mean's over sqrt(N_model), and a
  // participant or conversation sd near zero is resolved to about
  // 2 / sqrt(N_user) or 2 / sqrt(N_conv).
  vector[K] b_scale;
  real mu_scale = 2 * sqrt(N_model * 1.0 / N);
  real user_scale = 2 / sqrt(N_user);
  real conv_scale = 2 / sqrt(N_conv);
  for (k in 1:K) {
    means_X[k] = mean(X[ : , k]);
    Xc[ : , k] = X[ : , k] - means_X[k];
    if (!(sd(X[ : , k]) > 0)) {
      reject("predictor ", k, " is constant; drop it from X");
    }
    b_scale[k] = 2 / (sd(X[ : , k]) * sqrt(N));
  }
}
parameters {
  real<multiplier=mu_scale> Intercept;  // intercept at the predictor means
  vector<multiplier=b_scale>[K] b;  // coefficients
  real<lower=0> sd_model;  // sd of the LLM intercepts
  // LLM means of the log-odds at the predictor means
  vector<multiplier=mu_scale>[N_model] mu_model;
  real<multiplier=user_scale> sd_user_signed;  // +- sd of the participant intercepts
  vector[N_user] z_user;  // standardised participant intercepts
  real<multiplier=conv_scale> sd_conv_signed;  // +- sd of the conversation intercepts
  vector[N_conv] z_conv;  // standardised conversation intercepts
}
transformed parameters {
  real<lower=0> sd_user = abs(sd_user_signed);
  real<lower=0> sd_conv = abs(sd_conv_signed);
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
}
model {
  if (!prior_only) {
    // Participant and conversation intercepts are summed per conversation
    // before being spread over its responses: one length-N expression fewer
    // per gradient (a quarter of the gradient's time at full scale).
    // Intercept + r_model = mu_model.
    vector[N_conv] r_user_conv = sd_user_signed * z_user[J_conv_user]
                                 + sd_conv_signed * z_conv;
    target += bernoulli_logit_glm_lpmf(y | Xc, r_user_conv[J_conv]
                                               + mu_model[J_model], b);
  }
  target += normal_lpdf(mu_model | Intercept, sd_model);
  target += std_normal_lpdf(z_user);
  target += std_normal_lpdf(z_conv);
  target += lprior;
}
generated quantities {
  real b_Intercept = Intercept - dot_product(means_X, b);
  // Written only on request: 9,400 values a draw at PRISM's size, which the
  // engine has to format and the fit to store.
  vector[save_group ? N_user : 0] r_user;
  vector[save_group ? N_conv : 0] r_conv;
  if (save_group) {
    r_user = sd_user_signed * z_user;
    r_conv = sd_conv_signed * z_conv;
  }
}
