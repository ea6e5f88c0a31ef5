package spoeconf

// Suggest returns the candidate a misspelt name most probably meant: the
// closest by edit distance, if it is within two edits or a third of the
// name's length; "" if none is that close. Ties go to the first candidate.
func Suggest(name string, candidates []string) string {
	best, bestDist := "", max(2, len(name)/3)+1
	for _, c := range candidates {
		if d := editDistance(name, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}
