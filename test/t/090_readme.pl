# The README's SQL examples, run: every ```sql block of README.md, in order,
# in one psql session on a cluster with the library preloaded, so that the
# README cannot drift from what the extension does.
#
# Marks (an HTML comment on the line before a block; the README's
# "Development" section documents them):
#	(none)					 ```sql must run without error; a ```text block right
#							 after it (blank lines between allowed) is its exact
#							 psql output (aligned, footers off), compared
#							 ignoring trailing white space
#	<!-- error -->			 ```sql must fail; the first line of the ```text
#							 block after it is the error ("ERROR:  message")
#	<!-- not run -->		 ```sql is illustrative and skipped
#	<!-- sample output -->	 ```text output that varies; not compared
#
# One session, because examples keep psql variables (\gset) from one block
# to the next.  Each block is framed by \echo markers, so the output splits
# back into blocks, and an error that stops psql (ON_ERROR_STOP) is pinned
# to the block that raised it.  Expected errors are read from psql's
# LAST_ERROR_MESSAGE.  The cluster runs in UTC, as the README's outputs do.
use strict;
use warnings;
use FindBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $readme_path = "$FindBin::RealBin/../../README.md";
$readme_path = 'README.md' unless -f $readme_path;
open my $fh, '<', $readme_path or die "cannot open $readme_path: $!";
my @lines = <$fh>;
close $fh;
chomp @lines;

# ---- parse: fenced blocks with their info string, line and mark ----
my @fences;
{
	my $i = 0;
	while ($i < @lines)
	{
		if ($lines[$i] =~ /^```(\S*)\s*$/)
		{
			my $info  = $1;
			my $start = $i;
			my @body;
			$i++;
			while ($i < @lines && $lines[$i] !~ /^```\s*$/)
			{
				push @body, $lines[$i];
				$i++;
			}
			die "README.md: unterminated code block at line " . ($start + 1)
			  if $i >= @lines;
			# the mark: the nearest non-blank line above the fence
			my $k = $start - 1;
			$k-- while $k >= 0 && $lines[$k] =~ /^\s*$/;
			my $mark =
			  ($k >= 0 && $lines[$k] =~ /^<!--\s*(.*?)\s*-->\s*$/) ? $1 : '';
			push @fences,
			  {
				info      => $info,
				line      => $start + 1,
				end       => $i + 1,
				mark      => $mark,
				mark_line => $k + 1,
				body      => \@body
			  };
		}
		$i++;
	}
}

# A text block belongs to the sql block before it when only blank lines and
# its own mark lie between them.
my @blocks;
for my $n (0 .. $#fences)
{
	my $f = $fences[$n];
	next unless $f->{info} eq 'sql';
	my %b = (%$f, output => undef, output_checked => 0);
	die "README.md line $f->{line}: unknown mark \"$f->{mark}\""
	  if $f->{mark} ne '' && $f->{mark} !~ /^(error|not run)$/;
	if ($n < $#fences && $fences[ $n + 1 ]{info} eq 'text')
	{
		my $t   = $fences[ $n + 1 ];
		my $top = $t->{mark} eq '' ? $t->{line} : $t->{mark_line};
		if (!grep { $lines[ $_ - 1 ] !~ /^\s*$/ } ($f->{end} + 1 .. $top - 1))
		{
			die "README.md line $t->{line}: unknown mark \"$t->{mark}\""
			  if $t->{mark} ne '' && $t->{mark} ne 'sample output';
			$b{output}         = $t->{body};
			$b{output_checked} = $t->{mark} eq '';
		}
	}
	push @blocks, \%b;
}

my @run = grep { $_->{mark} ne 'not run' } @blocks;
cmp_ok(scalar(@run), '>=', 20, 'the README has SQL examples to run');
note scalar(@blocks) . ' sql blocks, ' . scalar(@run) . ' run';

# ---- the script: every block framed by markers ----
my $script = join "\n",
  '\set ON_ERROR_STOP 1', '\pset format aligned', '\pset tuples_only off',
  '\pset footer off', '\pset pager off', '';
for my $n (0 .. $#run)
{
	my $b = $run[$n];
	if ($b->{mark} eq 'error')
	{
		$script .= join "\n",
		  '\set ON_ERROR_STOP 0', "\\set LAST_ERROR_MESSAGE ''",
		  "\\echo '\@\@begin $n'", @{ $b->{body} },
		  "\\echo '\@\@error' :ERROR :'LAST_ERROR_MESSAGE'",
		  "\\echo '\@\@end $n'", '\set ON_ERROR_STOP 1', '';
	}
	else
	{
		$script .= join "\n", "\\echo '\@\@begin $n'", @{ $b->{body} },
		  "\\echo '\@\@end $n'", '';
	}
}

# ---- the cluster ----
my $node = PostgreSQL::Test::Cluster->new('readme');
$node->init(extra => [ '--no-locale', '-E', 'UTF8' ]);
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'pg_sched'\ntimezone = 'UTC'");
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE readme');

my ($stdout, $stderr) = ('', '');
my $rc = $node->psql(
	'readme', $script,
	stdout        => \$stdout,
	stderr        => \$stderr,
	on_error_stop => 1,
	timeout       => $PostgreSQL::Test::Utils::timeout_default);

# ---- split the output back into blocks ----
my (%out, %done, %error);
{
	my $cur;
	for my $l (split /\n/, $stdout, -1)
	{
		if ($l =~ /^\@\@begin (\d+)$/) { $cur = $1; $out{$cur} = []; next; }
		if ($l =~ /^\@\@end (\d+)$/) { $done{$1} = 1; undef $cur; next; }
		if ($l =~ /^\@\@error (\S+) '(.*)'$/)
		{
			(my $message = $2) =~ s/''/'/g;    # as psql quoted it
			$error{$cur} = { failed => $1 eq 'true', message => $message };
			next;
		}
		push @{ $out{$cur} }, $l if defined $cur;
	}
}

sub trimmed
{
	my @l = map { (my $x = $_) =~ s/\s+$//; $x } @_;
	shift @l while @l && $l[0] eq '';
	pop @l   while @l && $l[-1] eq '';
	return join "\n", @l;
}

for my $n (0 .. $#run)
{
	my $b    = $run[$n];
	my $name = "README.md line $b->{line}";
	if (!$done{$n})
	{
		fail("$name runs without error");
		# stderr also holds the errors that the README expects: the last
		# lines are the ones of this block
		my @err = split /\n/, $stderr;
		splice @err, 0, -10 if @err > 10;
		diag("psql exit status $rc; the end of its stderr:\n" . join("\n", @err));
		diag("the block:\n" . join("\n", @{ $b->{body} }));
		last;
	}
	if ($b->{mark} eq 'error')
	{
		my $e = $error{$n} // { failed => 0, message => '' };
		ok($e->{failed}, "$name fails as the README says");
		if ($b->{output} && $b->{output_checked})
		{
			is("ERROR:  $e->{message}", $b->{output}[0],
				"$name fails with the error shown");
		}
		next;
	}
	pass("$name runs without error");
	if ($b->{output} && $b->{output_checked})
	{
		is(trimmed(@{ $out{$n} }), trimmed(@{ $b->{output} }),
			"$name prints the output shown");
	}
	elsif (@{ $out{$n} })
	{
		note "$name printed:\n" . trimmed(@{ $out{$n} });
	}
}

$node->stop;
done_testing();
