// Bradley-Terry-Davidson model of opening-turn battles, with group-level
// deviations of every LLM's ability (PRISM case study 2, preference diversity).
//
// A battle between models i and j, fought by a participant in level g of one
// grouping (say gender = Female), compares abilities
//   theta[g, i] = b[i] + r_group[g, i],
// and with h = (theta[g, i] - theta[g, j]) / 2 (Davidson 1970):
//   P(i wins) = exp(h) / D,  P(j wins) = exp(-h) / D,  P(tie) = nu / D,
//   D = exp(h) + exp(-h) + nu.
// Without ties this is the logistic Bradley-Terry model, logit P(i wins) =
// theta_i - theta_j. Ties are kept rather than dropped: 17.5% of PRISM's
// battles are ties, and a tie says the two abilities are close.
//
// Abilities are identified only up to a shift, so b and each level's row of
// r_group live in the sum-to-zero subspace: x = Q_model * z with Q_model an
// orthonormal basis (K x (K - 1)) orthogonal to the ones vector. z ~ N(0, s)
// gives x the law of K iid N(0, s) draws minus their mean. The deviations
// also sum to zero over the levels (Q_level, J x (J - 1), likewise), so b is
// the mean of the levels' abilities and r_group[g] is level g's distance from
// that mean:
//   b = Q_model * b_raw,                 b_raw ~ normal(0, 2.5)
//   r_group = sd_group * Q_model * z_group * Q_level',  z_group ~ std_normal()
//   log_nu ~ normal(-1, 1.5),  sd_group ~ student_t(3, 0, 1) on [0, inf)
// (nu = 0.37 makes 16% of battles between equal models ties; PRISM: 17.5%).
// Without the constraint over levels, b and the mean of the deviations are
// told apart by the prior alone: a ridge along which the level abilities stay
// put while b moves (posterior sd 0.3 against 0.05 across it on full-scale
// gender), crossed with a step size of 0.06 and trees of 120 leapfrogs.
// Non-centred: a centred form mixed faster where groups differ (gender in
// the synthetic twin) but failed badly (R-hat 1.19) where they agree and
// sd_group sits near zero (religion), the usual funnel.
// log_nu is known to within about 1 / sqrt(ties) (0.01 at full scale), far
// below the unit scale NUTS's warmup starts from and regularises toward, so
// it is declared on the scale the data give (offset and multiplier from the
// tie share), which leaves its unconstrained coordinate near unit sd.
// Participants are not modelled: a participant's leniency shifts both scores
// of a battle and cancels; participant x model deviations would add 21
// parameters per participant. The likelihood therefore depends on the data
// only through counts per (level, pair), which makes every gradient cheap.
//
// The battles of one interaction are not independent: m options give
// m (m - 1) / 2 battles from m scores (6 from 4 at PRISM's opening turn).
// Counted as independent, they overstate the information: over ten
// full-scale synthetic twins sharing one truth, the maximum likelihood gender
// deviations spread 1.28 times as widely as the standard errors this
// likelihood claims (bench_case_studies). So each battle enters the
// likelihood with the weight 2 / m, and an interaction's battles count as
// m - 1 together (a composite likelihood tempered to the interaction's
// degrees of freedom); weighted, the ratio was 0.91 (slightly conservative),
// and the 90% intervals covered 57 of 63 pseudo-true deviations. The counts
// below are those weighted sums; unit weights give back the unweighted model.
data {
  int<lower=1> N;  // rows: one per level and model pair
  int<lower=2> K;  // number of models
  int<lower=0> J_group;  // number of levels (0: a single overall ranking)
  array[N] int<lower=1, upper=K> model_a;  // first model of the pair
  array[N] int<lower=1, upper=K> model_b;  // second model of the pair
  array[N] int<lower=1, upper=max(J_group, 1)> group;  // level of the row
  vector<lower=0>[N] n_a_wins;  // battles model a won (weighted)
  vector<lower=0>[N] n_b_wins;  // battles model b won (weighted)
  vector<lower=0>[N] n_ties;  // battles tied (weighted)
  matrix[K, K - 1] Q_model;  // orthonormal basis of the sum-to-zero space
  matrix[J_group, max(J_group - 1, 0)] Q_level;  // the same over the levels
  int<lower=0, upper=1> prior_only;  // ignore the likelihood
}
transformed data {
  int M_group = J_group > 0;  // 1 when there are levels to deviate
  // The likelihood needs only these sums: sum over rows of
  //   n_a_wins * (h - log D) + n_b_wins * (-h - log D)
  //   + n_ties * (log nu - log D).
  vector[N] net_wins = n_a_wins - n_b_wins;
  vector[N] n_battles = n_a_wins + n_b_wins + n_ties;
  real total_ties = sum(n_ties);
  // nu between equal models from the tie share t: nu / (2 + nu) = t.
  real tie_share = (total_ties + 0.5) / (sum(n_battles) + 1);
  real log_nu_guess = log(2 * tie_share / (1 - tie_share));
  real log_nu_scale = 1 / sqrt(total_ties + 1.0);
  // Positions of (level, model) in to_vector(r_group), which is column-major.
  array[N] int cell_a;
  array[N] int cell_b;
  for (n in 1:N) {
    cell_a[n] = (model_a[n] - 1) * J_group + group[n];
    cell_b[n] = (model_b[n] - 1) * J_group + group[n];
  }
}
parameters {
  vector[K - 1] b_raw;  // population abilities in the sum-to-zero basis
  real<offset=log_nu_guess, multiplier=log_nu_scale> log_nu;  // tie propensity
  vector<lower=0>[M_group] sd_group;  // sd of the level deviations
  matrix[K - 1, max(J_group - 1, 0)] z_group;  // standardised level deviations
}
transformed parameters {
  vector[K] b = Q_model * b_raw;  // population ability of each model
  matrix[J_group, K] r_group = rep_matrix(0, J_group, K);  // level - b
  real lprior = 0;
  if (J_group > 0) {
    r_group = sd_group[1] * (Q_model * z_group * Q_level')';
  }
  lprior += normal_lpdf(b_raw | 0, 2.5);
  lprior += normal_lpdf(log_nu | -1, 1.5);
  lprior += student_t_lpdf(sd_group | 3, 0, 1)
            - M_group * student_t_lccdf(0 | 3, 0, 1);
}
model {
  if (!prior_only) {
    vector[N] h = 0.5 * (b[model_a] - b[model_b]);
    if (J_group > 0) {
      vector[J_group * K] r = to_vector(r_group);
      h += 0.5 * (r[cell_a] - r[cell_b]);
    }
    // log D = log(exp(h) + exp(-h) + nu), computed without overflow.
    vector[N] abs_h = abs(h);
    vector[N] log_d = abs_h + log1p(exp(-2 * abs_h) + exp(log_nu - abs_h));
    target += dot_product(net_wins, h) - dot_product(n_battles, log_d)
              + total_ties * log_nu;
  }
  target += lprior;
  target += std_normal_lpdf(to_vector(z_group));
}
generated quantities {
  real nu = exp(log_nu);  // ties between equal models: nu / (2 + nu)
  matrix[max(J_group, 1), K] ability;  // b + r_group, one row per level
  for (g in 1:max(J_group, 1)) {
    ability[g] = b';
    if (J_group > 0) {
      ability[g] += r_group[g];
    }
  }
}
