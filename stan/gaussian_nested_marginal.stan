// Gaussian regression with random intercepts for participants, conversations
// nested in participants, and LLMs; the participant and conversation
// intercepts are integrated out analytically.
//
// brms formula: y ~ X + (1 | user / conversation) + (1 | model)
//   y_i = Intercept + Xc_i * b + r_model[m_i] + u[g_i] + v[c_i] + e_i
//   u ~ normal(0, sd_user), v ~ normal(0, sd_conv), e ~ normal(0, sigma)
// Same data block (plus save_group) and priors as gaussian_nested.stan, so the
// two programs have the same posterior for every parameter they share.
//
// The LLM intercepts are hierarchically centred, mu_model ~ normal(Intercept,
// sd_model) with r_model = mu_model - Intercept, unlike the non-centred z_model
// of the other programs: each of the 21 LLMs answers thousands of responses,
// so its mean is pinned by the data, and the non-centred form then leaves
// Intercept and the offsets trading off against each other (at full scale the
// effective sample size of sd_model and Intercept fell to about 0.1 per draw).
// The sds of the two integrated intercepts are sampled with a sign,
// sd_user = |sd_user_signed| and sd_conv = |sd_conv_signed|, under the
// symmetric extension of their half-t priors, which leaves the posterior of
// sd_user and sd_conv unchanged. The likelihood depends on their squares
// only, so it is smooth through zero. That matters because one of the two
// usually sits against zero: the participant's intercept in the mirroring
// fits, the conversation's in the log-score fits. On the log scale (or as a
// logit share of a total, the form used before) such an sd has a long tail
// towards zero on one side and a steep wall on the other; on the full-scale
// synthetic data that left a tail ESS of 280 for sd_conv in 3,200 draws of the
// moderation fit. A well-identified sd sits in one of two mirror-image
// modes, and each chain stays in the one it started in (all start positive),
// which the checks on |sd| do not mind.
// The location parameters and log(sigma) are declared with an offset and a
// multiplier set from the data, so that each unconstrained coordinate has a
// posterior sd near one. Stan's warmup shrinks every variance it estimates for
// the diagonal metric towards 1e-3 (weight 5 / (n + 5) for a window of n
// draws), which matters for a parameter whose posterior sd is below about
// 0.005: the metric then overstates its scale several times, and the step size
// has to shrink to match. A mirroring outcome has an sd of about 0.01, so b,
// Intercept and the LLM means had posterior sds of 1e-4 to 1e-3, and log(sigma)
// has an sd of 1 / sqrt(2 N) whatever the outcome's scale; on the full-scale
// synthetic data the step size was 0.01 to 0.04 with 40-60 leapfrog steps per
// draw, against 0.3 to 0.5 and about 15 with the scaled coordinates. An
// offset and multiplier are an affine change of variables whose Jacobian is
// constant, so the posterior is unchanged.
// The coefficients are sampled on the thin QR decomposition of the centred
// predictors (the Stan User's Guide's QR reparameterisation): Xc = Q * R,
// b_tilde = R * b, b = inverse(R) * b_tilde. Correlated predictors (the
// moderation model's interactions with their main effects) then give nearly
// uncorrelated b_tilde; on the full-scale moderation fit this cut the
// leapfrog steps per draw by a factor of three. The prior stays on b (a
// linear map, constant Jacobian).
// Names follow brms: N_* count the levels of a grouping, J_* index them.
//
// Priors (the same in both Gaussian programs): b ~ normal(0, prior_b_sd),
// 2.5 by default (weakly informative for predictors on a 0..1 probability
// scale) or 1e6 as the paper reports; Intercept ~ student_t(3, mean(y),
// prior_scale) and every sd ~ half student_t(3, 0, prior_scale), as brms.
//
// Derivation of the marginal likelihood. Let e = y - Intercept - Xc * b
// - r_model[m] be the residual before the two integrated intercepts. For
// participant g with conversations c of n_c responses each,
//   e_g ~ multi_normal(0, S_g),  S_g = A_g + sd_user^2 * 1 1',
//   A_g = blockdiag_c(A_c),      A_c = sigma^2 * I + sd_conv^2 * 1 1'.
// (1) Sherman-Morrison and the matrix determinant lemma on A_c, with
//     d_c = sigma^2 + n_c * sd_conv^2, s_c = sum(e_c), q_c = e_c' e_c:
//       inv(A_c) = (I - sd_conv^2 / d_c * 1 1') / sigma^2
//       log|A_c| = (n_c - 1) * log(sigma^2) + log(d_c)
//       e_c' inv(A_c) e_c = (q_c - sd_conv^2 * s_c^2 / d_c) / sigma^2
//       1' inv(A_c) e_c = s_c / d_c,   1' inv(A_c) 1 = n_c / d_c
// (2) The same two identities on S_g = A_g + sd_user^2 * 1 1', with
//     W_g = sum_c n_c / d_c and T_g = sum_c s_c / d_c over g's conversations:
//       log|S_g| = sum_c log|A_c| + log(1 + sd_user^2 * W_g)
//       e_g' inv(S_g) e_g = sum_c e_c' inv(A_c) e_c
//                           - sd_user^2 * T_g^2 / (1 + sd_user^2 * W_g)
// (3) Summing over participants, with rss = e'e:
//       log p(y) = -0.5 * (N * log(2 pi) + (N - N_conv) * log(sigma^2)
//                  + sum_c log(d_c) + sum_g log(1 + sd_user^2 * W_g)
//                  + (rss - sd_conv^2 * sum_c s_c^2 / d_c) / sigma^2
//                  - sd_user^2 * sum_g T_g^2 / (1 + sd_user^2 * W_g))
// Cost per gradient: with Xc * b = Q * b_tilde (below), D = [1, Q, LLM
// dummies] and theta = [Intercept; b_tilde; r_model], the residual sum of
// squares e'e = y'y - 2 theta' D'y + theta' D'D theta uses only the
// cross-products, and s = sums_c(y) - n * Intercept - sums_c(Q) * b_tilde
// - counts_c(LLM) * r_model uses only conversation sums, so no term is
// O(N): the per-response data enter through transformed data alone.
//
// Generated quantities can draw u and v from their conditional posterior
// (save_group = 1): u_g | . ~ normal(sd_user^2 * T_g / h_g,
// sd_user / sqrt(h_g)) with h_g = 1 + sd_user^2 * W_g, then
// v_c | u, . ~ normal(sd_conv^2 * (s_c - n_c * u_g) / d_c,
// sd_conv * sigma / sqrt(d_c)).
functions {
  // Conversation sums of the residual before the integrated intercepts.
  vector conv_residual_sums(real Intercept, vector b, vector r_model,
                            vector ysum_conv, vector n_conv,
                            matrix Xsum_conv, vector w_counts,
                            array[] int v_counts, array[] int u_counts) {
    return ysum_conv - n_conv * Intercept - Xsum_conv * b
           - csr_matrix_times_vector(rows(n_conv), rows(r_model), w_counts,
                                     v_counts, u_counts, r_model);
  }
}
data {
  int<lower=1> N;  // number of responses
  int<lower=1> K;  // number of predictors
  vector[N] y;  // outcome
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
  int<lower=0, upper=1> save_group;  // draw r_user and r_conv
}
transformed data {
  int P = 1 + K + N_model;  // columns of D = [1, Q, LLM dummies]
  vector[K] means_X;  // column means of X, to recover the intercept
  matrix[N, K] Xc;  // centred predictors, Xc = Q * R with Q' * Q = I
  matrix[N, P] D = rep_matrix(0, N, P);
  vector[N_conv] n_conv = rep_vector(0, N_conv);  // responses per conv.
  vector[N_conv] ysum_conv = rep_vector(0, N_conv);
  matrix[N_conv, K] Xsum_conv = rep_matrix(0, N_conv, K);
  matrix[N_conv, N_model] counts_conv = rep_matrix(0, N_conv, N_model);
  array[N_user + 1] int u_user;  // CSR row starts: conversations by user
  for (k in 1:K) {
    means_X[k] = mean(X[ : , k]);
    Xc[ : , k] = X[ : , k] - means_X[k];
    if (!(sd(Xc[ : , k]) > 0)) {
      reject("predictor ", k, " is constant; drop it from X");
    }
  }
  matrix[K, K] R_inverse = inverse(qr_thin_R(Xc));
  D[ : , 2:(1 + K)] = qr_thin_Q(Xc);
  D[ : , 1] = rep_vector(1, N);
  for (i in 1:N) {
    int c = J_conv[i];
    D[i, 1 + K + J_model[i]] = 1;
    n_conv[c] += 1;
    ysum_conv[c] += y[i];
    Xsum_conv[c] += D[i, 2:(1 + K)];
    counts_conv[c, J_model[i]] += 1;
  }
  matrix[P, P] DtD = crossprod(D);
  vector[P] Dty = D' * y;
  real yty = dot_self(y);
  real mean_y = mean(y);
  real sd_y = sd(y);
  if (!(sd_y > 0)) {
    reject("the outcome y is constant; there is nothing to model");
  }
  // Rough posterior sds, for the multipliers below: an LLM mean rests on
  // about N / N_model responses, and the intercept on the spread of the
  // LLM means over sqrt(N_model).
  real mu_scale = sd_y * sqrt(N_model * 1.0 / N);
  real intercept_scale;
  // about the posterior sd of a well-identified sd_user or sd_conv
  real sd_user_scale = sd_y / sqrt(N_user);
  real sd_conv_scale = sd_y / sqrt(N_conv);
  {
    vector[N_model] llm_means = (D[ : , (2 + K):P]' * y)
                                ./ (D[ : , (2 + K):P]' * rep_vector(1, N));
    intercept_scale = fmax(sd(llm_means), mu_scale) / sqrt(N_model);
  }
  vector[size(csr_extract_w(counts_conv))] w_counts
    = csr_extract_w(counts_conv);
  array[size(w_counts)] int v_counts = csr_extract_v(counts_conv);
  array[N_conv + 1] int u_counts = csr_extract_u(counts_conv);
  // participant sums over conversations, as a 0/1 CSR matrix
  vector[N_conv] w_user = rep_vector(1, N_conv);
  array[N_conv] int v_user = linspaced_int_array(N_conv, 1, N_conv);
  array[N_user] int n_conv_user = rep_array(0, N_user);
  for (c in 1:N_conv) {
    if (c > 1 && J_conv_user[c] < J_conv_user[c - 1]) {
      reject("J_conv_user must be sorted; conversation ", c);
    }
    n_conv_user[J_conv_user[c]] += 1;
  }
  u_user[1] = 1;
  for (g in 1:N_user) {
    u_user[g + 1] = u_user[g] + n_conv_user[g];
  }
}
parameters {
  // intercept at the predictor means
  real<offset=mean_y, multiplier=intercept_scale> Intercept;
  // coefficients on Q, b_tilde = R * b (the columns of Q are orthonormal, so
  // the posterior sd of each is about sigma)
  vector<multiplier=sd_y>[K] b_tilde;
  real<lower=0> sd_model;  // sd of the LLM intercepts
  // LLM means of the outcome at the predictor means
  vector<offset=mean_y, multiplier=mu_scale>[N_model] mu_model;
  // +- the sds of the participant and conversation intercepts
  real<multiplier=sd_user_scale> sd_user_signed;
  real<multiplier=sd_conv_scale> sd_conv_signed;
  // log residual sd, whose posterior sd is about 1 / sqrt(2 N)
  real<offset=log(sd_y), multiplier=inv_sqrt(2 * N)> log_sigma;
}
transformed parameters {
  vector[K] b = R_inverse * b_tilde;  // coefficients
  real<lower=0> sigma = exp(log_sigma);  // residual sd
  real<lower=0> sd_user = abs(sd_user_signed);
  real<lower=0> sd_conv = abs(sd_conv_signed);
  vector[N_model] r_model = mu_model - Intercept;
  real lprior = 0;
  lprior += normal_lpdf(b | 0, prior_b_sd);
  lprior += student_t_lpdf(Intercept | 3, mean_y, prior_scale);
  lprior += student_t_lpdf(sd_model | 3, 0, prior_scale)
            - student_t_lccdf(0 | 3, 0, prior_scale);
  lprior += student_t_lpdf(sd_user | 3, 0, prior_scale)
            - student_t_lccdf(0 | 3, 0, prior_scale);
  lprior += student_t_lpdf(sd_conv | 3, 0, prior_scale)
            - student_t_lccdf(0 | 3, 0, prior_scale);
  lprior += student_t_lpdf(sigma | 3, 0, prior_scale)
            - student_t_lccdf(0 | 3, 0, prior_scale);
}
model {
  if (!prior_only) {
    vector[P] theta = append_row(Intercept, append_row(b_tilde, r_model));
    real rss = yty - 2 * dot_product(theta, Dty) + quad_form(DtD, theta);
    vector[N_conv] s = conv_residual_sums(Intercept, b_tilde, r_model, ysum_conv,
                                          n_conv, Xsum_conv, w_counts,
                                          v_counts, u_counts);
    real var_e = square(sigma);
    real var_c = square(sd_conv);
    real var_u = square(sd_user);
    vector[N_conv] d = var_e + var_c * n_conv;
    vector[N_user] W = csr_matrix_times_vector(N_user, N_conv, w_user,
                                               v_user, u_user, n_conv ./ d);
    vector[N_user] T = csr_matrix_times_vector(N_user, N_conv, w_user,
                                               v_user, u_user, s ./ d);
    vector[N_user] h = 1 + var_u * W;
    target += -0.5 * (N * log(2 * pi()) + (N - N_conv) * log(var_e)
                      + sum(log(d)) + sum(log(h))
                      + (rss - var_c * dot_product(s, s ./ d)) / var_e
                      - var_u * dot_product(T, T ./ h));
  }
  target += normal_lpdf(mu_model | Intercept, sd_model);
  target += log_sigma;  // log |d sigma / d log_sigma|: the prior stays on sigma
  target += lprior;
}
generated quantities {
  real b_Intercept = Intercept - dot_product(means_X, b);
  vector[save_group ? N_user : 0] r_user;
  vector[save_group ? N_conv : 0] r_conv;
  if (save_group) {
    vector[N_conv] s = conv_residual_sums(Intercept, b_tilde, r_model, ysum_conv,
                                          n_conv, Xsum_conv, w_counts,
                                          v_counts, u_counts);
    real var_c = square(sd_conv);
    real var_u = square(sd_user);
    vector[N_conv] d = square(sigma) + var_c * n_conv;
    vector[N_user] h = 1 + var_u
                       * csr_matrix_times_vector(N_user, N_conv, w_user,
                                                 v_user, u_user,
                                                 n_conv ./ d);
    vector[N_user] T = csr_matrix_times_vector(N_user, N_conv, w_user,
                                               v_user, u_user, s ./ d);
    r_user = to_vector(normal_rng(var_u * T ./ h, sd_user ./ sqrt(h)));
    r_conv = to_vector(normal_rng(var_c * (s - n_conv .* r_user[J_conv_user])
                                  ./ d, sd_conv * sigma ./ sqrt(d)));
  }
}
