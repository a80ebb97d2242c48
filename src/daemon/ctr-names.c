/* Container names: the rule a given name must follow, and the random
 * adjective_noun names a container gets when it is created without one
 * (the style docker users know). The word lists are hutch's own: trees,
 * birds and rivers rather than people. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "ctr-names.h"

static const char *const adjectives[] = {
    "amber",	"ancient",   "bold",	"brave",    "breezy",  "bright",   "calm",     "clever",
    "cosmic",	"crisp",     "curious", "dapper",   "daring",  "eager",	   "earnest",  "elegant",
    "fancy",	"fearless",  "festive", "fluffy",   "frosty",  "gentle",   "gleaming", "golden",
    "graceful", "happy",     "hardy",	"hidden",   "humble",  "jolly",	   "keen",     "kind",
    "lively",	"lucid",     "lucky",	"mellow",   "merry",   "mighty",   "misty",    "modest",
    "nimble",	"noble",     "patient", "peaceful", "playful", "polite",   "proud",    "quiet",
    "quick",	"radiant",   "rapid",	"rustic",   "serene",  "sharp",	   "shiny",    "silent",
    "sleepy",	"smooth",    "snowy",	"solid",    "spry",    "steady",   "stoic",    "sturdy",
    "sunny",	"swift",     "tender",	"thirsty",  "tidy",    "tranquil", "upbeat",   "vibrant",
    "vivid",	"wandering", "warm",	"wise",	    "witty",   "young",	   "zealous",  "zesty",
};

static const char *const nouns[] = {
    "acacia",  "alder",	     "amazon",	 "ash",	    "aspen",	"avocet",    "baobab",	  "beech",
    "birch",   "bittern",    "bluebird", "cedar",   "chestnut", "congo",     "cormorant", "crane",
    "cypress", "danube",     "dipper",	 "douglas", "egret",	"elbe",	     "elm",	  "falcon",
    "fir",     "finch",	     "ganges",	 "gannet",  "ginkgo",	"grebe",     "hawthorn",  "hazel",
    "heron",   "holly",	     "hornbill", "ibis",    "indus",	"jacaranda", "jay",	  "juniper",
    "kestrel", "kingfisher", "larch",	 "lark",    "linden",	"loire",     "magnolia",  "maple",
    "mekong",  "merlin",     "nightjar", "nile",    "oak",	"oriole",    "osprey",	  "pelican",
    "pine",    "plover",     "poplar",	 "puffin",  "redwood",	"rhine",     "robin",	  "rowan",
    "sequoia", "shannon",    "sparrow",	 "spruce",  "swift",	"sycamore",  "tagus",	  "tern",
    "thames",  "thrush",     "vistula",	 "volga",   "wagtail",	"walnut",    "warbler",	  "willow",
    "wren",    "yangtze",    "yew",	 "yukon",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

bool ctr_name_valid(const char *name)
{
	static const char first[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t len = strlen(name);
	return len > 0 && len < CTR_NAME_MAX && strchr(first, name[0]) != NULL &&
	       strspn(name + 1,
		      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
		   len - 1;
}

int ctr_name_check(const char *given, char out[CTR_NAME_MAX], hutch_error *err)
{
	const char *name = given[0] == '/' ? given + 1 : given;
	if (!ctr_name_valid(name))
		return hutch_fail_plain(err, EINVAL,
					"Invalid container name (%s), only "
					"[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
					given);
	snprintf(out, CTR_NAME_MAX, "%s", name);
	return 0;
}

void ctr_name_random(char out[CTR_NAME_MAX], unsigned attempt)
{
	unsigned r[2] = {0, 0};
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		r[0] = (unsigned)attempt * 7919u;
		r[1] = (unsigned)attempt * 104729u;
	}
	const char *a = adjectives[r[0] % COUNT(adjectives)], *n = nouns[r[1] % COUNT(nouns)];
	/* After a few collisions a digit makes the name space larger. */
	if (attempt < 3)
		snprintf(out, CTR_NAME_MAX, "%s_%s", a, n);
	else
		snprintf(out, CTR_NAME_MAX, "%s_%s%u", a, n, (r[0] >> 8) % 10);
}
