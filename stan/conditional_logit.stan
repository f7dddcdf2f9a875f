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
// Predictors are centred within each set (exact: a shift per set cancels),
// which keeps eta near zero so that the softmax needs no per-set maximum.
//
// Random slopes are non-centred, tau .* z_u with z_u ~ normal(0, 1), and the
// slope sds are sampled with a sign under the symmetric extension of their
// half-t priors (tau = |tau_signed|), as in bernoulli_nested: a participant
// makes a few dozen choices, so most slope sds sit near zero.
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
  int N_top = sum(y);
  matrix[N, K] Xc = X;  // predictors centred within their set
  array[N] int J_user;  // participant of each option
  // Sparse incidence (CSR) of sets over options, and of sets over top options.
  vector[N] w_all = rep_vector(1, N);
  array[N] int v_all;
  vector[N_top] w_top = rep_vector(1, N_top);
  array[N_top] int v_top;
  array[S + 1] int u_top;
  int n_slopes = random_slopes ? K : 0;
  {
    int t = 0;
    u_top[1] = 1;
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
      for (i in first:last) {
        v_all[i] = i;
        J_user[i] = J_set_user[s];
        if (y[i] == 1) {
          t += 1;
          v_top[t] = i;
        }
      }
      u_top[s + 1] = t + 1;
    }
  }
  for (k in 1:K) {
    if (!(sd(Xc[ : , k]) > 0)) {
      reject("predictor ", k, " does not vary within any set; drop it");
    }
  }
}
parameters {
  vector[K] b;  // coefficients on the utility (log-odds between options)
  real<lower=0> sd_model;  // sd of the LLM effects
  vector[N_model - 1] r_model_free;  // the first N_model - 1 LLM effects
  vector[n_slopes] tau_signed;  // +- sd of the participant slopes
  matrix[N_user, n_slopes] z_slope;  // standardised participant slopes
}
transformed parameters {
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
    vector[N] eta = Xc * b + r_model[J_model];
    if (random_slopes) {
      matrix[N_user, K] slopes = diag_post_multiply(z_slope, tau_signed);
      eta += rows_dot_product(Xc, slopes[J_user]);
    }
    {
      // Subtracting the largest utility guards exp against overflow far from
      // the posterior, where warmup may wander; it cancels in each ratio.
      vector[N] odds = exp(eta - max(eta));
      vector[S] all = csr_matrix_times_vector(S, N, w_all, v_all, set_start,
                                              odds);
      vector[S] top = csr_matrix_times_vector(S, N, w_top, v_top, u_top,
                                              odds);
      target += sum(log(top)) - sum(log(all));
    }
  }
  // The LLM effects are a normal(0, sd_model) vector projected onto the sum-zero
  // subspace: their quadratic form is sum(r_model^2) / sd_model^2, but they have
  // N_model - 1 dimensions, not N_model, hence one log(sd_model) back. Without
  // it the prior of sd_model gains a factor 1 / sd_model (simulation-based
  // calibration caught it: sd_model's ranks piled up).
  target += normal_lpdf(r_model | 0, sd_model) + log(sd_model);
  target += std_normal_lpdf(to_vector(z_slope));
  target += lprior;
}
generated quantities {
  vector[save_log_lik ? S : 0] log_lik;
  if (save_log_lik) {
    vector[N] eta = Xc * b + r_model[J_model];
    if (random_slopes) {
      eta += rows_dot_product(Xc,
                              diag_post_multiply(z_slope, tau_signed)[J_user]);
    }
    vector[N] odds = exp(eta - max(eta));
    log_lik = log(csr_matrix_times_vector(S, N, w_top, v_top, u_top, odds))
              - log(csr_matrix_times_vector(S, N, w_all, v_all, set_start,
                                            odds));
  }
}
